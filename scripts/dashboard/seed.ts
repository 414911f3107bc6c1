import { randomUUID } from 'node:crypto';

/**
 * A little of everything a dashboard page shows, written through the API the way the dashboard's
 * public (no-auth) build reaches it: no credentials, development mode (AUTH_ENABLED=false), the
 * organization and project in X-Organization-ID / X-Project-ID. Every call must succeed; the ids
 * are what the page paths need.
 */
export interface Seeded {
  orgId: string;
  orgName: string;
  projectId: string;
  projectName: string;
  traceId: string;
  sessionId: string;
  traceRunId: string;
  sessionRunId: string;
  monitorId: string;
}

type Json = Record<string, unknown>;

export class ApiCaller {
  constructor(
    readonly base: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  with(headers: Record<string, string>): ApiCaller {
    return new ApiCaller(this.base, { ...this.headers, ...headers });
  }

  async call<T = Json>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.base + path, {
      method,
      headers: { ...this.headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

function trace(sessionId: string, i: number): Json {
  const root = randomUUID();
  const started = 30 + i * 5;
  return {
    trace_id: randomUUID(),
    name: `support-agent-${i}`,
    status: i === 3 ? 'ERROR' : 'COMPLETED',
    session_id: sessionId,
    user_id: `user-${i % 2}`,
    tags: ['dashboard-drive', i % 2 ? 'beta' : 'stable'],
    input: { messages: [{ role: 'user', content: `How do I reset my password? (${i})` }] },
    output: { messages: [{ role: 'assistant', content: 'Open Settings, then Security, then Reset.' }] },
    started_at: minutesAgo(started),
    ended_at: minutesAgo(started - 1),
    spans: [
      {
        span_id: randomUUID(),
        parent_span_id: root,
        name: 'llm-call',
        kind: 'LLM',
        status: 'OK',
        model: 'gpt-4o-mini',
        input: { messages: [{ role: 'user', content: 'reset password' }] },
        output: { messages: [{ role: 'assistant', content: 'Settings → Security → Reset.' }] },
        token_usage: { prompt_tokens: 120, completion_tokens: 40, total_tokens: 160 },
        cost: { input: 0.0012, output: 0.0008, total: 0.002 },
        started_at: minutesAgo(started - 0.2),
        ended_at: minutesAgo(started - 0.6),
      },
      {
        span_id: root,
        name: 'agent',
        kind: 'AGENT',
        status: 'OK',
        started_at: minutesAgo(started),
        ended_at: minutesAgo(started - 1),
      },
    ],
  };
}

/** Seeds one organization's onboarding project (the dev user's first organization). */
export async function seed(apiUrl: string): Promise<Seeded> {
  const anonymous = new ApiCaller(apiUrl);
  await anonymous.call('GET', '/me'); // what the dashboard's root page does first
  // The local user's own organization (a drive with --jwt-secret also makes it a member of others).
  const orgs = await anonymous.call<{ id: string; name: string; role: string }[]>('GET', '/organizations');
  const org = orgs.find((o) => o.role === 'OWNER') ?? orgs[0];
  const projects = await anonymous.call<{ id: string; name: string }[]>('GET', `/organizations/${org.id}/projects`);
  const project = projects.find((p) => p.name === 'onboarding') ?? projects[0];
  const api = anonymous.with({ 'X-Organization-ID': org.id, 'X-Project-ID': project.id });

  const sessionId = `session-${randomUUID().slice(0, 8)}`;
  const traces = Array.from({ length: 6 }, (_, i) => trace(sessionId, i));
  for (const t of traces) await api.call('POST', '/traces', t);
  await waitFor(async () => {
    const page = await api.call<{ total: number }>('GET', `/traces?session_id=${sessionId}`);
    return page.total === traces.length;
  }, 'the seeded traces to be committed');
  const traceId = traces[0].trace_id as string;
  await api.call('POST', '/evaluations/trace-scores', {
    trace_id: traceId,
    name: 'helpfulness',
    value: '0.8',
    source: 'ANNOTATION',
    reason: 'Seeded by the dashboard drive.',
  });

  const traceMetric = (await api.call<{ name: string }[]>('GET', '/evaluations/trace-metrics'))[0].name;
  const sessionMetric = (await api.call<{ name: string }[]>('GET', '/evaluations/session-metrics'))[0].name;
  const traceRun = await api.call<{ id: string }>('POST', '/evaluations/trace-runs', {
    name: 'drive trace run',
    metrics: [traceMetric],
    filters: { session_id: sessionId },
  });
  const sessionRun = await api.call<{ id: string }>('POST', '/evaluations/session-runs', {
    name: 'drive session run',
    metrics: [sessionMetric],
  });
  const monitor = await api.call<{ id: string }>('POST', '/evaluations/monitors', {
    name: 'hourly quality',
    target_type: 'TRACE',
    metrics: [traceMetric],
    cadence: 'every_1h',
  });
  await api.call('POST', `/organizations/${org.id}/api-keys`, { name: 'drive key', expiration: '90d' });
  // Invitations are limited per caller and hour (RATE_LIMIT_INVITATIONS): one pending is enough.
  const invitations = await api.call<{ status: string }[]>('GET', `/organizations/${org.id}/invitations`);
  if (!invitations.some((i) => i.status === 'PENDING')) {
    const invited = `invitee-${randomUUID().slice(0, 8)}@example.com`;
    await api.call('POST', `/organizations/${org.id}/invitations`, { email: invited, role: 'MEMBER' });
  }

  return {
    orgId: org.id,
    orgName: org.name,
    projectId: project.id,
    projectName: project.name,
    traceId,
    sessionId,
    traceRunId: traceRun.id,
    sessionRunId: sessionRun.id,
    monitorId: monitor.id,
  };
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
