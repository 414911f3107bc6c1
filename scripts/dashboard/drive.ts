import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DashboardPage, dashboardPages } from './pages';
import { seed } from './seed';

/**
 * Drives PandaProbe's dashboard (its public, no-auth build) in headless Chromium against this API
 * running in development mode (docs/identity.md, "The dashboard, driven"): seeds a little of
 * everything through the API, visits every page, and reports per page the console errors, failed
 * requests and API answers >= 400, with a screenshot. Exit 1 when any page had one.
 *
 *   node dist/scripts/dashboard/drive.js --dashboard http://127.0.0.1:3000 --api http://127.0.0.1:8000 \
 *     --playwright <dashboard checkout> [--chromium /usr/bin/chromium] [--out dashboard-drive]
 *
 * playwright-core is resolved from --playwright (the dashboard's own dev dependencies carry it), so
 * this repository does not depend on it.
 */

/** The few playwright-core calls used here. */
interface Browser {
  newPage(opts: { viewport: { width: number; height: number } }): Promise<Page>;
  close(): Promise<void>;
}
interface Page {
  on(event: 'console', fn: (m: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', fn: (e: Error) => void): void;
  on(
    event: 'requestfailed',
    fn: (r: { url(): string; method(): string; failure(): { errorText: string } | null }) => void,
  ): void;
  on(event: 'response', fn: (r: { url(): string; status(): number; request(): { method(): string } }) => void): void;
  goto(url: string, opts: { waitUntil: string; timeout: number }): Promise<unknown>;
  waitForLoadState(state: string, opts: { timeout: number }): Promise<void>;
  waitForTimeout(ms: number): Promise<void>;
  innerText(selector: string): Promise<string>;
  url(): string;
  screenshot(opts: { path: string; fullPage: boolean }): Promise<unknown>;
  close(): Promise<void>;
}

export interface PageReport {
  page: string;
  url: string;
  finalUrl: string;
  consoleErrors: string[];
  failedRequests: string[];
  apiErrors: string[];
  missingText?: string;
  screenshot: string;
}

async function visit(browser: Browser, base: string, apiUrl: string, p: DashboardPage, out: string, i: number) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const report: PageReport = {
    page: p.name,
    url: p.path,
    finalUrl: '',
    consoleErrors: [],
    failedRequests: [],
    apiErrors: [],
    screenshot: join(out, `${String(i).padStart(2, '0')}-${p.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`),
  };
  page.on('console', (m) => m.type() === 'error' && report.consoleErrors.push(m.text()));
  page.on('pageerror', (e) => report.consoleErrors.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A navigation away aborts the prefetches in flight: not a failure of ours.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED')
      report.failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.url().startsWith(apiUrl) && r.status() >= 400)
      report.apiErrors.push(`${r.request().method()} ${r.url().slice(apiUrl.length)} → ${r.status()}`);
  });
  await page.goto(base + p.path, { waitUntil: 'load', timeout: 60_000 });
  await page.waitForLoadState('networkidle', { timeout: 30_000 }).catch(() => undefined);
  await page.waitForTimeout(1500); // the last queries' renders
  report.finalUrl = page.url().slice(base.length);
  if (p.expect) {
    const text = (await page.innerText('body')).toLowerCase();
    if (!text.includes(p.expect.toLowerCase())) report.missingText = p.expect;
  }
  await page.screenshot({ path: report.screenshot, fullPage: true });
  await page.close();
  return report;
}

export const failed = (r: PageReport) =>
  r.consoleErrors.length + r.failedRequests.length + r.apiErrors.length > 0 || r.missingText !== undefined;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dashboard: { type: 'string', default: 'http://127.0.0.1:3000' },
      api: { type: 'string', default: 'http://127.0.0.1:8000' },
      playwright: { type: 'string' },
      chromium: { type: 'string', default: '/usr/bin/chromium' },
      out: { type: 'string', default: 'dashboard-drive' },
    },
  });
  if (!values.playwright) throw new Error('--playwright <dir> is required: a folder where playwright-core resolves');
  const requireFrom = createRequire(join(resolve(values.playwright), 'package.json'));
  const { chromium } = requireFrom('playwright-core') as {
    chromium: { launch(o: { executablePath: string; headless: boolean }): Promise<Browser> };
  };
  const out = resolve(values.out!);
  mkdirSync(out, { recursive: true });
  const apiUrl = values.api!.replace(/\/$/, '');
  const seeded = await seed(apiUrl);
  console.log(`seeded: ${JSON.stringify(seeded)}`);
  const browser = await chromium.launch({ executablePath: values.chromium!, headless: true });
  const reports: PageReport[] = [];
  try {
    for (const [i, p] of dashboardPages(seeded).entries()) {
      const r = await visit(browser, values.dashboard!.replace(/\/$/, ''), apiUrl, p, out, i);
      reports.push(r);
      console.log(`${failed(r) ? 'FAIL' : 'ok  '} ${r.page} (${r.finalUrl})`);
      for (const line of [...r.apiErrors, ...r.failedRequests, ...r.consoleErrors]) console.log(`       ${line}`);
      if (r.missingText) console.log(`       page never showed "${r.missingText}"`);
    }
  } finally {
    await browser.close();
  }
  writeFileSync(join(out, 'report.json'), JSON.stringify({ seeded, reports }, null, 2));
  const bad = reports.filter(failed).length;
  console.log(`pages: ${reports.length - bad} clean, ${bad} with problems (screenshots and report.json in ${out})`);
  process.exitCode = bad ? 1 : 0;
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  });
}
