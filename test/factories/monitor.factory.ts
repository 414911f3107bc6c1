import type { TestApp } from '../support/test-app';
import type { Tenant } from '../support/tenancy';

export const MONITORS = '/evaluations/monitors';

/** A valid create body; override any field. */
export function monitorBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'nightly', target_type: 'TRACE', metrics: ['confidence'], cadence: 'daily', ...overrides };
}

/** Creates a monitor through the API (201) and returns its body. */
export async function createMonitor(
  t: Pick<TestApp, 'http'>,
  tenant: Pick<Tenant, 'headers'>,
  overrides: Record<string, unknown> = {},
): Promise<Record<string, any>> {
  const res = await t.http.post(MONITORS).set(tenant.headers).send(monitorBody(overrides));
  if (res.status !== 201) throw new Error(`create monitor: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
