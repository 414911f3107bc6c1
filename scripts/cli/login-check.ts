import '../../src/config/dotenv';
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';
import { parse } from 'yaml';

/**
 * Runs a GIVEN PandaProbe CLI binary (chirpz-ai/pandaprobe-cli; this script neither builds nor
 * downloads it) through `pandaprobe auth login` against this API, with the browser step simulated
 * as the dashboard's /cli-login page performs it (docs/cli-login.md): the URL the CLI opens is read,
 * POST /cli/auth/codes is called with a user's Bearer token (one of our HS256 tokens, signed with the
 * API's JWT_SECRET, for a new user whose first request makes its organization and `onboarding`
 * project), and the CLI's loopback callback is called with the code and state. The CLI then
 * exchanges the code itself and stores the key. Also: the stored key on a few data-plane commands,
 * a replayed code, a code made for another challenge, a callback with a wrong state, and logout.
 *
 *   npm run check:cli-login -- --cli /path/to/pandaprobe [--api http://127.0.0.1:8000] [--jwt-secret <JWT_SECRET>]
 *
 * JWT_SECRET defaults to the environment or .env (what `npm run setup` wrote). The CLI runs with a
 * temporary HOME (so its own ~/.pandaprobe/config.yaml), and no PANDAPROBE_* variables. Prints one line per check and
 * "N passed, N failed"; exit 1 on a failed check, 2 when it could not start.
 */

const CLI_TIMEOUT = '30s';
const KILL_AFTER_MS = 45_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  callback?: { status: number; body: string };
}

/** What the simulated browser does with the /cli-login URL; returns the callback's answer. */
type Browser = (loginUrl: URL) => Promise<{ status: number; body: string }>;

class Check {
  passed = 0;
  failed = 0;
  ok(name: string, cond: boolean, detail = ''): boolean {
    if (cond) this.passed++;
    else this.failed++;
    console.log(`${cond ? 'ok  ' : 'FAIL'} ${name}${!cond && detail ? `\n       ${detail.trim().slice(0, 800)}` : ''}`);
    return cond;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cli: { type: 'string' },
      api: { type: 'string', default: `http://127.0.0.1:${process.env.PORT ?? 8000}` },
      'jwt-secret': { type: 'string', default: process.env.JWT_SECRET },
    },
  });
  if (!values.cli) throw new Error('--cli <path to the pandaprobe binary> is required');
  const cliPath = resolve(values.cli);
  accessSync(cliPath, constants.X_OK);
  const secret = values['jwt-secret'];
  if (!secret) throw new Error('no JWT secret: pass --jwt-secret or set JWT_SECRET (.env of npm run setup has it)');
  const api = values.api!.replace(/\/$/, '');

  // The signed-in dashboard user: a new subject, so the check owns its organization and project.
  const subject = `cli-login-check-${randomUUID().slice(0, 8)}`;
  const token = jwt.sign(
    { sub: subject, email: `${subject}@example.com`, email_verified: true, name: 'CLI login check' },
    secret,
    {
      algorithm: 'HS256',
      expiresIn: '1h',
    },
  );
  /** An API call as the dashboard user, or with `auth` headers instead (the minted key). */
  const call = async <T>(
    method: string,
    path: string,
    body?: unknown,
    auth: Record<string, string> = { Authorization: `Bearer ${token}` },
  ) => {
    const res = await fetch(api + path, {
      method,
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  };
  await call('GET', '/me');
  const [org] = await call<{ id: string }[]>('GET', '/organizations');
  const projects = await call<{ id: string; name: string }[]>('GET', `/organizations/${org.id}/projects`);
  const project = projects.find((p) => p.name === 'onboarding') ?? projects[0];
  console.log(`user ${subject}, organization ${org.id}, project '${project.name}' (${project.id})`);

  const home = mkdtempSync(join(tmpdir(), 'pandaprobe-cli-login-'));
  const configFile = join(home, '.pandaprobe', 'config.yaml'); // the CLI's default under HOME
  // A stand-in for xdg-open (what the CLI runs on Linux to open the browser): records the URL.
  const openedFile = join(home, 'opened-url');
  const bin = join(home, 'bin');
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('PANDAPROBE_')),
  );
  Object.assign(env, { HOME: home, NO_COLOR: '1', PATH: `${bin}:${process.env.PATH ?? ''}` });
  mkdirSync(bin);
  writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$1" >> '${openedFile}'\n`, { mode: 0o755 });
  const useOpener = process.platform === 'linux';

  /** Runs the CLI; when `browser` is given, acts as the browser once the CLI prints its /cli-login URL. */
  const cli = (args: string[], browser?: Browser, noBrowser = !useOpener): Promise<Run> =>
    new Promise((done, fail) => {
      const argv = [...args, ...(browser && noBrowser ? ['--no-browser'] : [])];
      const child = spawn(cliPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const run: Run = { code: null, stdout: '', stderr: '' };
      let browsing: Promise<void> | undefined;
      const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      child.stdout.on('data', (d: Buffer) => (run.stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        run.stderr += d.toString();
        const m = /(https?:\/\/\S+\/cli-login\?\S+)/.exec(run.stderr);
        if (browser && m && !browsing)
          browsing = browser(new URL(m[1])).then(
            (cb) => void (run.callback = cb),
            (e: Error) => void (run.stderr += `\n[simulated browser] ${e.message}`),
          );
      });
      child.on('error', fail);
      child.on('close', (code) => {
        clearTimeout(timer);
        run.code = code;
        void Promise.resolve(browsing).then(() => done(run));
      });
    });

  const check = new Check();
  const show = (r: Run) => `exit ${r.code}; stdout: ${r.stdout}; stderr: ${r.stderr}`;
  const readConfig = () =>
    existsSync(configFile) ? ((parse(readFileSync(configFile, 'utf8')) ?? {}) as Record<string, string>) : {};

  /** The dashboard page: a code for the CLI's challenge (or `challenge`), then the redirect to the loopback. */
  let lastCode = '';
  const dashboard =
    (opts: { challenge?: string; code?: string; state?: string } = {}): Browser =>
    async (url) => {
      const q = url.searchParams;
      let code = opts.code;
      if (!code) {
        const made = await call<{ code: string; expires_in: number }>('POST', '/cli/auth/codes', {
          org_id: org.id,
          project_id: project.id,
          code_challenge: opts.challenge ?? q.get('code_challenge'),
          code_challenge_method: q.get('code_challenge_method'),
          label: q.get('label') ?? 'pandaprobe-cli',
          expires_days: 90,
        });
        code = lastCode = made.code;
      }
      const cb = new URL(`http://127.0.0.1:${q.get('port')}/callback`);
      cb.searchParams.set('code', code);
      cb.searchParams.set('state', opts.state ?? q.get('state') ?? '');
      const res = await fetch(cb);
      return { status: res.status, body: await res.text() };
    };

  try {
    const endpoint = await cli(['config', 'set', 'endpoint', api]);
    const authUrl = await cli(['config', 'set', 'auth_url', 'http://127.0.0.1:9/']);
    check.ok(
      'config set endpoint, auth_url',
      endpoint.code === 0 && authUrl.code === 0,
      show(endpoint) + show(authUrl),
    );

    // 1. The login, browser opened through the stand-in xdg-open (Linux) and simulated.
    let loginUrl: URL | undefined;
    const login = await cli(['auth', 'login', '--timeout', CLI_TIMEOUT], async (url) => {
      loginUrl = url;
      return dashboard()(url);
    });
    const q = loginUrl?.searchParams;
    check.ok(
      'auth login: the /cli-login URL carries port, state, S256 challenge, label',
      !!q &&
        loginUrl!.pathname === '/cli-login' &&
        /^\d+$/.test(q.get('port') ?? '') &&
        q.get('code_challenge_method') === 'S256' &&
        /^[A-Za-z0-9_-]{43}$/.test(q.get('code_challenge') ?? '') &&
        /^[A-Za-z0-9_-]{43}$/.test(q.get('state') ?? '') &&
        !!q.get('label'),
      `${loginUrl}; ${show(login)}`,
    );
    if (useOpener) {
      const opened = existsSync(openedFile) ? readFileSync(openedFile, 'utf8').trim() : '';
      check.ok(
        'auth login: the CLI opened that URL in the "browser" (xdg-open)',
        opened === loginUrl?.toString(),
        `opened: ${opened}`,
      );
    }
    check.ok(
      'auth login: the loopback callback answered 200',
      login.callback?.status === 200,
      JSON.stringify(login.callback),
    );
    let out: Record<string, unknown> = {};
    try {
      out = JSON.parse(login.stdout) as Record<string, unknown>;
    } catch {
      /* shown below */
    }
    check.ok(
      `auth login: exit 0, logged_in, project '${project.name}'`,
      login.code === 0 && out.logged_in === true && out.project === project.name,
      show(login),
    );
    const stored = readConfig();
    check.ok(
      'auth login: the config file holds an sk_pp_ key, the project name, the endpoint',
      /^sk_pp_[0-9a-f]{64}$/.test(stored.api_key ?? '') &&
        stored.project_name === project.name &&
        stored.endpoint === api,
      JSON.stringify({ ...stored, api_key: stored.api_key?.slice(0, 10) }),
    );
    const key = stored.api_key ?? '';
    if (!key) throw new Error('the login stored no key; the remaining checks need one');
    const keys = await call<{ name: string; key_prefix: string }[]>('GET', `/organizations/${org.id}/api-keys`);
    const minted = keys.find((k) => key.startsWith(k.key_prefix));
    check.ok(
      'auth login: the key is the organization\'s, named "pandaprobe-cli — <label> — <date>"',
      !!minted && minted.name.startsWith(`pandaprobe-cli — ${q?.get('label')} — `),
      JSON.stringify(keys),
    );
    const status = await cli(['auth', 'status']);
    check.ok('auth status: logged_in', status.code === 0 && /"logged_in":\s*true/.test(status.stdout), show(status));

    // 2. The stored key on the data plane: a trace sent with it, read back through the CLI.
    const traceId = randomUUID();
    const now = Date.now();
    await call(
      'POST',
      '/traces',
      {
        trace_id: traceId,
        name: 'cli-login-check',
        status: 'COMPLETED',
        session_id: `cli-login-check-${traceId.slice(0, 8)}`,
        tags: ['cli-login-check'],
        input: { messages: [{ role: 'user', content: 'hello' }] },
        output: { messages: [{ role: 'assistant', content: 'hi' }] },
        started_at: new Date(now - 2000).toISOString(),
        ended_at: new Date(now - 1000).toISOString(),
        spans: [
          {
            span_id: randomUUID(),
            name: 'agent',
            kind: 'AGENT',
            status: 'OK',
            started_at: new Date(now - 2000).toISOString(),
            ended_at: new Date(now - 1000).toISOString(),
          },
        ],
      },
      { 'X-API-Key': key, 'X-Project-Name': project.name },
    );
    let got: Run | undefined;
    for (let i = 0; i < 30; i++) {
      got = await cli(['traces', 'get', traceId]);
      if (got.code === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    check.ok(
      'traces get: the trace sent with the minted key',
      got?.code === 0 && got.stdout.includes(traceId),
      got && show(got),
    );
    for (const args of [
      ['traces', 'list'],
      ['traces', 'spans', traceId],
      ['sessions', 'list'],
      ['evals', 'metrics'],
      ['evals', 'runs', 'list'],
      ['evals', 'scores', 'list'],
      ['evals', 'monitors', 'list'],
    ]) {
      const r = await cli(args);
      let json = false;
      try {
        JSON.parse(r.stdout);
        json = true;
      } catch {
        /* not JSON */
      }
      check.ok(`${args.join(' ')}: exit 0, JSON`, r.code === 0 && json, show(r));
    }

    // 3. Wrong paths. A replayed (spent) code: the exchange is refused, the stored key kept.
    const spent = lastCode;
    const replay = await cli(['auth', 'login', '--timeout', CLI_TIMEOUT], dashboard({ code: spent }), true);
    check.ok(
      'replayed code: exit 2 (auth), "invalid, expired, or already used", key kept',
      replay.code === 2 && /invalid, expired, or already used/.test(replay.stderr) && readConfig().api_key === key,
      show(replay),
    );
    // A code made for another challenge: the CLI's verifier does not match it.
    const other = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
    const pkce = await cli(['auth', 'login', '--timeout', CLI_TIMEOUT], dashboard({ challenge: other }), true);
    check.ok(
      'code for another challenge: exit 2, "PKCE verification failed."',
      pkce.code === 2 && /PKCE verification failed/.test(pkce.stderr),
      show(pkce),
    );
    // A callback with another state: the CLI's loopback refuses it and no exchange happens.
    const wrongState = await cli(
      ['auth', 'login', '--timeout', CLI_TIMEOUT],
      dashboard({ state: randomBytes(32).toString('base64url') }),
      true,
    );
    check.ok(
      'callback with a wrong state: the loopback answers 400, the CLI fails',
      wrongState.callback?.status === 400 && wrongState.code !== 0 && /state mismatch/.test(wrongState.stderr),
      show(wrongState),
    );

    const logout = await cli(['auth', 'logout']);
    const after = await cli(['auth', 'status']);
    check.ok(
      'auth logout: then logged out',
      logout.code === 0 && /"logged_in":\s*false/.test(after.stdout),
      show(logout) + show(after),
    );
  } catch (e) {
    check.ok('the check ran to its end', false, e instanceof Error ? e.message : String(e));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  console.log(`${check.passed} passed, ${check.failed} failed`);
  process.exitCode = check.failed ? 1 : 0;
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  });
}
