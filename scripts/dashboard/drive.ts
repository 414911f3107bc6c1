import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { dashboardActions } from './actions';
import { Browser, hasProblems, Observed, observedPage, settle } from './browser';
import { dashboardPages } from './pages';
import { ApiCaller, seed } from './seed';
import { teamActions } from './team-actions';

/**
 * Drives PandaProbe's dashboard (its public, no-auth build) in headless Chromium against this API
 * running in development mode (docs/identity.md, "The dashboard, driven"): seeds a little of
 * everything through the API, visits every page, then does what a person does on the settings,
 * monitor and CLI-login pages, checking the result through the API. Reports per page or action the
 * console errors, failed requests and API answers >= 400, with a screenshot. Exit 1 on any.
 *
 *   node dist/scripts/dashboard/drive.js --dashboard http://127.0.0.1:3000 --api http://127.0.0.1:8000 \
 *     --playwright <dashboard checkout> [--chromium /usr/bin/chromium] [--out dashboard-drive] \
 *     [--jwt-secret <the API's JWT_SECRET, default $JWT_SECRET: adds the actions that need a second user>]
 *
 * playwright-core is resolved from --playwright (the dashboard's own dev dependencies carry it), so
 * this repository does not depend on it.
 */

const fileName = (i: number, name: string) =>
  `${String(i).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`;

function print(r: Observed): void {
  console.log(`${hasProblems(r) ? 'FAIL' : 'ok  '} ${r.name} (${r.finalUrl})`);
  for (const line of [...r.apiErrors, ...r.failedRequests, ...r.consoleErrors]) console.log(`       ${line}`);
  if (r.problem) console.log(`       ${r.problem}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dashboard: { type: 'string', default: 'http://127.0.0.1:3000' },
      api: { type: 'string', default: 'http://127.0.0.1:8000' },
      playwright: { type: 'string' },
      chromium: { type: 'string', default: '/usr/bin/chromium' },
      out: { type: 'string', default: 'dashboard-drive' },
      'jwt-secret': { type: 'string', default: process.env.JWT_SECRET },
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
  const base = values.dashboard!.replace(/\/$/, '');
  const seeded = await seed(apiUrl);
  const api = new ApiCaller(apiUrl, { 'X-Organization-ID': seeded.orgId, 'X-Project-ID': seeded.projectId });
  console.log(`seeded: ${JSON.stringify(seeded)}`);
  const browser = await chromium.launch({ executablePath: values.chromium!, headless: true });
  const reports: Observed[] = [];
  let i = 0;
  try {
    for (const p of dashboardPages(seeded)) {
      const { page, report } = await observedPage(browser, apiUrl, p.name, join(out, fileName(i++, p.name)));
      report.url = p.path;
      await page.goto(base + p.path, { waitUntil: 'load', timeout: 60_000 });
      await settle(page);
      report.finalUrl = page.url().slice(base.length);
      if (p.expect && !(await page.innerText('body')).toLowerCase().includes(p.expect.toLowerCase()))
        report.problem = `the page never showed "${p.expect}"`;
      await page.screenshot({ path: report.screenshot, fullPage: true });
      await page.close();
      reports.push(report);
      print(report);
    }
    const actions = dashboardActions(seeded, base);
    const secret = values['jwt-secret'];
    if (secret) actions.push(...teamActions(seeded, apiUrl, secret));
    else console.log('(no --jwt-secret: the actions that need a second user are skipped)');
    for (const a of actions) {
      const { page, report } = await observedPage(browser, apiUrl, a.name, join(out, fileName(i++, a.name)));
      report.url = a.path;
      await page.goto(base + a.path, { waitUntil: 'load', timeout: 60_000 });
      await settle(page);
      await a.run(page, api).catch((e: Error) => (report.problem = e.message));
      await settle(page);
      report.finalUrl = page.url().startsWith(base) ? page.url().slice(base.length) : page.url();
      await page.screenshot({ path: report.screenshot, fullPage: true });
      await page.close();
      reports.push(report);
      print(report);
    }
  } finally {
    await browser.close();
  }
  writeFileSync(join(out, 'report.json'), JSON.stringify({ seeded, reports }, null, 2));
  const bad = reports.filter(hasProblems).length;
  console.log(
    `pages and actions: ${reports.length - bad} clean, ${bad} with problems (screenshots, report.json: ${out})`,
  );
  process.exitCode = bad ? 1 : 0;
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  });
}
