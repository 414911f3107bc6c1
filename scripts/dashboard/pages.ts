import type { Seeded } from './seed';

/** One page of the dashboard to visit, and the text that shows it rendered our data. */
export interface DashboardPage {
  name: string;
  path: string;
  /** Text the page shows once its data loaded (checked case-insensitively). */
  expect?: string;
}

/**
 * Every page of PandaProbe's dashboard (frontend/src/app/**\/page.tsx of chirpz-ai/pandaprobe), with
 * the seeded ids in its path. `/login` is the auth build's only and is left out.
 */
export function dashboardPages(s: Seeded): DashboardPage[] {
  const org = `/org/${s.orgId}`;
  const project = `${org}/project/${s.projectId}`;
  const cliLogin = new URLSearchParams({
    port: '53682',
    state: 'drive-state',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    label: 'drive-host',
    cli_version: '0.0.0',
  });
  return [
    { name: 'root (redirects to the organization)', path: '/' },
    { name: 'organization home', path: org },
    { name: 'project home', path: project },
    { name: 'traces', path: `${project}/traces`, expect: 'support-agent' },
    { name: 'trace detail', path: `${project}/traces/${s.traceId}`, expect: 'llm-call' },
    { name: 'sessions', path: `${project}/sessions`, expect: s.sessionId },
    { name: 'session detail', path: `${project}/sessions/${s.sessionId}`, expect: 'support-agent' },
    { name: 'analytics', path: `${project}/analytics` },
    { name: 'evaluations', path: `${project}/evaluations` },
    { name: 'trace runs', path: `${project}/evaluations/trace-runs`, expect: 'drive trace run' },
    { name: 'session runs', path: `${project}/evaluations/session-runs`, expect: 'drive session run' },
    { name: 'trace scores', path: `${project}/evaluations/trace-scores`, expect: 'helpfulness' },
    { name: 'session scores', path: `${project}/evaluations/session-scores` },
    { name: 'monitors', path: `${project}/evaluations/monitors`, expect: 'hourly quality' },
    { name: 'monitor detail', path: `${project}/evaluations/monitors/${s.monitorId}`, expect: 'hourly quality' },
    { name: 'organization settings', path: `${org}/settings` },
    { name: 'settings: organization', path: `${org}/settings/organization`, expect: 'My Organization' },
    { name: 'settings: members', path: `${org}/settings/members`, expect: 'dev@localhost' },
    { name: 'settings: projects', path: `${org}/settings/projects`, expect: 'onboarding' },
    { name: 'settings: API keys', path: `${org}/settings/api-keys`, expect: 'drive key' },
    { name: 'settings: billing and usage', path: `${org}/settings/billing`, expect: 'DEVELOPMENT' },
    { name: 'settings: plans', path: `${org}/settings/plans`, expect: 'DEVELOPMENT' },
    { name: 'account settings', path: '/settings' },
    { name: 'account', path: '/settings/account', expect: 'dev@localhost' },
    { name: 'my invitations', path: '/settings/invitations' },
    { name: 'CLI login', path: `/cli-login?${cliLogin.toString()}` },
  ];
}
