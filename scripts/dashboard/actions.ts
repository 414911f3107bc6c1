import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Page, settle } from './browser';
import { ApiCaller, Seeded } from './seed';

/**
 * What a person does on the dashboard's pages, done by clicking, each followed by a check through
 * the API that the server holds the result. `run` throws with what is wrong.
 */
export interface DashboardAction {
  name: string;
  path: string;
  run(page: Page, api: ApiCaller): Promise<void>;
}

const SHORT = { timeout: 20_000 };

export async function eventually(check: () => Promise<string | undefined>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const problem = await check();
    if (problem === undefined) return;
    if (Date.now() > until) throw new Error(problem);
    await new Promise((r) => setTimeout(r, 300));
  }
}

type Named = { id: string; name: string };

/** The CLI's side of `pandaprobe auth login` (its loopback callback), up to the exchange. */
async function cliLogin(page: Page, base: string, api: ApiCaller, s: Seeded): Promise<void> {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  let received: URL | undefined;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/callback') received ??= url; // not the browser's favicon request after it
    res.end('Login complete. You can close this tab.');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const query = new URLSearchParams({
      port: String(port),
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      label: 'dashboard-drive',
      cli_version: '0.0.0-drive',
    });
    await page.goto(`${base}/cli-login?${query.toString()}`, { waitUntil: 'load', timeout: 60_000 });
    await settle(page);
    // The page picks an organization or project by itself only when there is exactly one.
    const orgPicker = page.locator('button[role="combobox"]', { hasText: 'Select organization' });
    if ((await orgPicker.count()) > 0) {
      await orgPicker.first().click(SHORT);
      await page.getByRole('option', { name: s.orgName, exact: true }).click(SHORT);
      await settle(page);
    }
    const projectPicker = page.locator('button[role="combobox"]', { hasText: 'Select project' });
    if ((await projectPicker.count()) > 0) {
      await projectPicker.first().click(SHORT);
      await page.getByRole('option', { name: s.projectName, exact: true }).click(SHORT);
    }
    await page.getByRole('button', { name: 'Authorize', exact: true }).click(SHORT);
    await eventually(async () => (received ? undefined : 'the dashboard never called the CLI loopback back'));
    if (received!.searchParams.get('state') !== state) throw new Error('the callback carried another state');
    const code = received!.searchParams.get('code');
    if (!code) throw new Error(`the callback carried no code: ${received!.search}`);
    const anonymous = new ApiCaller(api.base, { 'X-API-Key': '', 'X-Project-Name': '' });
    const key = await anonymous.call<{ api_key: string; project_name: string }>('POST', '/cli/auth/exchange', {
      code,
      code_verifier: verifier,
    });
    const current = await new ApiCaller(api.base, {
      'X-API-Key': key.api_key,
      'X-Project-Name': key.project_name,
    }).call<{ id: string }>('GET', '/projects/current');
    if (current.id !== s.projectId) throw new Error(`the CLI key opens project ${current.id}, not ${s.projectId}`);
  } finally {
    server.close();
  }
}

export function dashboardActions(s: Seeded, base: string): DashboardAction[] {
  const org = `/org/${s.orgId}`;
  const project = `${org}/project/${s.projectId}`;
  const monitor = `${project}/evaluations/monitors/${s.monitorId}`;
  const suffix = randomUUID().slice(0, 6);
  return [
    {
      name: 'rename the organization',
      path: `${org}/settings/organization`,
      async run(page, api) {
        await page.getByPlaceholder('Organization name').fill(`Driven Org ${suffix}`, SHORT);
        await page.getByRole('button', { name: 'Save', exact: true }).click(SHORT);
        await eventually(async () => {
          const o = await api.call<Named>('GET', `/organizations/${s.orgId}`);
          return o.name === `Driven Org ${suffix}` ? undefined : `the organization is still named "${o.name}"`;
        });
        await api.call('PATCH', `/organizations/${s.orgId}`, { name: 'My Organization' });
      },
    },
    {
      name: 'invite a member',
      path: `${org}/settings/members`,
      async run(page, api) {
        const email = `drive-${suffix}@example.com`;
        await page.getByPlaceholder('Email address').fill(email, SHORT);
        await page.getByRole('button', { name: 'Invite', exact: true }).click(SHORT);
        await eventually(async () => {
          const list = await api.call<{ email: string; status: string }[]>(
            'GET',
            `/organizations/${s.orgId}/invitations`,
          );
          return list.some((i) => i.email === email && i.status === 'PENDING')
            ? undefined
            : `no PENDING invitation for ${email}`;
        });
      },
    },
    {
      name: 'create a project',
      path: `${org}/settings/projects`,
      async run(page, api) {
        const name = `drive-${suffix}`;
        await page.getByRole('button', { name: 'Create new project' }).click(SHORT);
        await page.getByPlaceholder('e.g. production').fill(name, SHORT);
        await page.getByRole('button', { name: 'Create project', exact: true }).click(SHORT);
        await eventually(async () => {
          const list = await api.call<Named[]>('GET', `/organizations/${s.orgId}/projects`);
          return list.some((p) => p.name === name) ? undefined : `no project ${name}`;
        });
      },
    },
    {
      name: 'create an API key',
      path: `${org}/settings/api-keys`,
      async run(page, api) {
        const name = `drive-key-${suffix}`;
        await page.getByRole('button', { name: 'Create new API key' }).click(SHORT);
        await page.getByPlaceholder('e.g. Production').fill(name, SHORT);
        await page.getByRole('button', { name: 'Create API key', exact: true }).click(SHORT);
        await eventually(async () => {
          const list = await api.call<Named[]>('GET', `/organizations/${s.orgId}/api-keys`);
          return list.some((k) => k.name === name) ? undefined : `no API key ${name}`;
        });
      },
    },
    {
      name: 'rotate an API key',
      path: `${org}/settings/api-keys`,
      async run(page, api) {
        const count = async () =>
          (await api.call<Named[]>('GET', `/organizations/${s.orgId}/api-keys`)).filter((k) => k.name === 'drive key')
            .length;
        const before = await count();
        await page
          .locator('tr', { hasText: 'drive key' })
          .first()
          .locator('button:has(svg.lucide-rotate-cw)')
          .click(SHORT);
        await eventually(async () => ((await count()) > before ? undefined : 'no new key named "drive key"'));
      },
    },
    {
      name: 'edit an hourly monitor and save it unchanged',
      path: monitor,
      async run(page, api) {
        await page.getByRole('button', { name: 'Edit', exact: true }).click(SHORT);
        await page.getByRole('button', { name: 'Save', exact: true }).click(SHORT);
        await page.waitForTimeout(2000);
        const { cadence } = await api.call<{ cadence: string }>('GET', `/evaluations/monitors/${s.monitorId}`);
        // Shown to the dashboard as its cron form; saved back, it must still fire every hour.
        if (cadence !== 'every_1h' && !/^cron:\d+ \* \* \* \*$/.test(cadence))
          throw new Error(`the monitor is no longer hourly: ${cadence}`);
      },
    },
    {
      name: 'pause, resume and trigger a monitor',
      path: monitor,
      async run(page, api) {
        const status = async () =>
          (await api.call<{ status: string }>('GET', `/evaluations/monitors/${s.monitorId}`)).status;
        await page.getByRole('button', { name: 'Pause', exact: true }).click(SHORT);
        await eventually(async () => ((await status()) === 'PAUSED' ? undefined : 'the monitor is not PAUSED'));
        await page.getByRole('button', { name: 'Resume', exact: true }).click(SHORT);
        await eventually(async () => ((await status()) === 'ACTIVE' ? undefined : 'the monitor is not ACTIVE again'));
        await page.getByRole('button', { name: 'Trigger', exact: true }).click(SHORT);
        await eventually(async () => {
          const runs = await api.call<unknown[] | { items: unknown[] }>(
            'GET',
            `/evaluations/monitors/${s.monitorId}/runs`,
          );
          return (Array.isArray(runs) ? runs : runs.items).length > 0 ? undefined : 'the trigger made no run';
        });
      },
    },
    {
      name: 'open a trace run',
      path: `${project}/evaluations/trace-runs`,
      async run(page) {
        await page.locator('tr', { hasText: 'drive trace run' }).first().click(SHORT);
      },
    },
    {
      name: 'open a session run',
      path: `${project}/evaluations/session-runs`,
      async run(page) {
        await page.locator('tr', { hasText: 'drive session run' }).first().click(SHORT);
      },
    },
    {
      name: 'every analytics metric',
      path: `${project}/analytics`,
      async run(page) {
        let current = 'volume';
        for (const metric of ['errors', 'latency', 'cost', 'tokens', 'models']) {
          await page.locator('button[role="combobox"]', { hasText: current }).first().click(SHORT);
          await page.getByRole('option', { name: metric, exact: true }).click(SHORT);
          await settle(page);
          current = metric;
        }
      },
    },
    {
      name: 'rename, then delete a project',
      path: `${org}/settings/projects`,
      async run(page, api) {
        const name = `drive-${suffix}`;
        const projects = () => api.call<Named[]>('GET', `/organizations/${s.orgId}/projects`);
        await page.locator('tr', { hasText: name }).first().locator('button:has(svg.lucide-pencil)').click(SHORT);
        await page.getByPlaceholder('Project name').fill(`${name}-renamed`, SHORT);
        await page.getByRole('button', { name: 'Save', exact: true }).click(SHORT);
        await eventually(async () =>
          (await projects()).some((p) => p.name === `${name}-renamed`) ? undefined : 'the project was not renamed',
        );
        await settle(page);
        await page
          .locator('tr', { hasText: `${name}-renamed` })
          .first()
          .locator('button:has(svg.lucide-trash-2)')
          .click(SHORT);
        await page.getByRole('button', { name: 'Delete', exact: true }).click(SHORT);
        await eventually(async () =>
          (await projects()).some((p) => p.name.startsWith(name)) ? 'the project is still listed' : undefined,
        );
      },
    },
    {
      name: 'delete an API key permanently',
      path: `${org}/settings/api-keys`,
      async run(page, api) {
        const name = `drive-key-${suffix}`;
        await page.locator('tr', { hasText: name }).first().locator('button:has(svg.lucide-trash-2)').click(SHORT);
        await page.locator('button', { hasText: 'Permanently delete' }).first().click(SHORT);
        await page.getByRole('button', { name: 'Permanently Delete', exact: true }).click(SHORT);
        await eventually(async () => {
          const keys = await api.call<Named[]>('GET', `/organizations/${s.orgId}/api-keys`);
          return keys.some((k) => k.name === name) ? 'the key is still listed' : undefined;
        });
      },
    },
    {
      name: 'evaluate two traces from the list',
      path: `${project}/traces?session_id=${s.sessionId}`,
      async run(page, api) {
        const name = `drive batch ${suffix}`;
        for (const trace of ['support-agent-0', 'support-agent-1'])
          await page.locator('tr', { hasText: trace }).first().locator('input[type="checkbox"]').click(SHORT);
        await page.getByRole('button', { name: 'Evaluate', exact: true }).click(SHORT);
        await page.getByPlaceholder('Eval run name').fill(name, SHORT);
        await page.locator('label', { hasText: 'confidence' }).first().locator('input[type="checkbox"]').click(SHORT);
        await page.getByRole('button', { name: 'Submit', exact: true }).click(SHORT);
        await eventually(async () => {
          const runs = await api.call<{ items: { name: string; status: string; total_targets?: number }[] }>(
            'GET',
            '/evaluations/trace-runs?limit=50',
          );
          const run = runs.items.find((r) => r.name === name);
          return run?.status === 'COMPLETED' ? undefined : `run "${name}" is ${run?.status ?? 'missing'}`;
        }, 90_000);
      },
    },
    {
      name: 'tag a trace from the list, then delete it',
      path: `${project}/traces?session_id=${s.sessionId}`,
      async run(page, api) {
        const tag = `driven-${suffix}`;
        const row = () => page.locator('tr', { hasText: 'support-agent-5' }).first().locator('input[type="checkbox"]');
        await row().click(SHORT);
        await page.getByRole('button', { name: 'Tag', exact: true }).click(SHORT);
        await page.getByPlaceholder('e.g. production, v2, reviewed').fill(tag, SHORT);
        await page.getByRole('button', { name: 'Add Tags', exact: true }).click(SHORT);
        let traceId = '';
        await eventually(async () => {
          const tagged = await api.call<{ items: { trace_id: string }[] }>('GET', `/traces?tags=${tag}`);
          traceId = tagged.items[0]?.trace_id ?? '';
          return tagged.items.length === 1 ? undefined : `${tagged.items.length} traces tagged ${tag}, not 1`;
        });
        await settle(page);
        const checkbox = row();
        await checkbox.click(SHORT); // the selection is cleared after tagging
        await page.getByRole('button', { name: 'Delete', exact: true }).click(SHORT);
        await page.locator('[role="dialog"] button', { hasText: 'Delete' }).first().click(SHORT);
        await eventually(async () => {
          const gone = await api.call('GET', `/traces/${traceId}`).then(
            () => false,
            (e: Error) => e.message.includes('answered 404'),
          );
          return gone ? undefined : `trace ${traceId} is still there`;
        });
      },
    },
    {
      name: 'authorize the CLI (pandaprobe auth login)',
      path: '/cli-login',
      run: (page, api) => cliLogin(page, base, api, s),
    },
  ];
}
