import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkDashboardCalls, loadDashboardCalls } from '../../scripts/dashboard/check-calls';

describe("PandaProbe's dashboard: every REST call it makes has a route here with the fields its pages read", () => {
  const doc = JSON.parse(readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8'));
  const reports = checkDashboardCalls(doc);
  const missing = reports.filter((r) => r.problems.length > 0).map((r) => `${r.call.method} ${r.call.path}`);

  it('lists the 92 calls of the dashboard', () => {
    expect(loadDashboardCalls()).toHaveLength(92);
  });

  it('misses none of them', () => {
    expect(missing).toEqual([]);
  });

  it('would notice a missing field', () => {
    const stripped = structuredClone(doc);
    delete stripped.components.schemas.UsageResponse.properties.trace_evals;
    const usage = checkDashboardCalls(stripped).find((r) => r.call.path.endsWith('/subscriptions/usage'))!;
    expect(usage.problems).toEqual(["the answer lacks 'trace_evals'"]);
  });
});
