/** The few playwright-core calls the drive uses (playwright-core is not a dependency of this repository). */
export interface Locator {
  click(opts?: { timeout?: number }): Promise<void>;
  count(): Promise<number>;
  fill(value: string, opts?: { timeout?: number }): Promise<void>;
  first(): Locator;
  locator(selector: string): Locator;
  waitFor(opts?: { timeout?: number }): Promise<void>;
}

export interface Page {
  on(event: 'console', fn: (m: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', fn: (e: Error) => void): void;
  on(
    event: 'requestfailed',
    fn: (r: { url(): string; method(): string; failure(): { errorText: string } | null }) => void,
  ): void;
  on(event: 'response', fn: (r: { url(): string; status(): number; request(): { method(): string } }) => void): void;
  goto(url: string, opts: { waitUntil: string; timeout: number }): Promise<unknown>;
  reload(): Promise<unknown>;
  waitForLoadState(state: string, opts: { timeout: number }): Promise<void>;
  waitForTimeout(ms: number): Promise<void>;
  innerText(selector: string): Promise<string>;
  url(): string;
  screenshot(opts: { path: string; fullPage: boolean }): Promise<unknown>;
  getByPlaceholder(text: string): Locator;
  getByRole(role: string, opts: { name: string; exact?: boolean }): Locator;
  locator(selector: string, opts?: { hasText?: string }): Locator;
  close(): Promise<void>;
}

export interface Browser {
  newPage(opts: { viewport: { width: number; height: number } }): Promise<Page>;
  close(): Promise<void>;
}

/** What one page visit or one action showed. */
export interface Observed {
  name: string;
  url: string;
  finalUrl: string;
  consoleErrors: string[];
  failedRequests: string[];
  apiErrors: string[];
  /** Text the page never showed, or the server-side check that failed after an action. */
  problem?: string;
  screenshot: string;
}

export const hasProblems = (r: Observed) =>
  r.consoleErrors.length + r.failedRequests.length + r.apiErrors.length > 0 || r.problem !== undefined;

/** A new page whose console errors, failed requests and API answers >= 400 are recorded in `report`. */
export async function observedPage(
  browser: Browser,
  apiUrl: string,
  name: string,
  screenshot: string,
): Promise<{ page: Page; report: Observed }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const report: Observed = {
    name,
    url: '',
    finalUrl: '',
    consoleErrors: [],
    failedRequests: [],
    apiErrors: [],
    screenshot,
  };
  page.on('console', (m) => {
    if (m.type() === 'error') report.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => report.consoleErrors.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A navigation away aborts the prefetches in flight, and the CLI callback is ours to answer.
    const error = r.failure()?.errorText;
    if (error !== 'net::ERR_ABORTED') report.failedRequests.push(`${r.method()} ${r.url()}: ${error}`);
  });
  page.on('response', (r) => {
    if (r.url().startsWith(apiUrl) && r.status() >= 400)
      report.apiErrors.push(`${r.request().method()} ${r.url().slice(apiUrl.length)} → ${r.status()}`);
  });
  return { page, report };
}

/** Waits for the page's queries to settle and their renders to land. */
export async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle', { timeout: 30_000 }).catch(() => undefined);
  await page.waitForTimeout(1500);
}
