import { buildTraceFilterSql, escapeLikePattern, TraceFilter } from './trace-filter';

const projectId = '7d1c1f2e-2a5b-4c1e-9c57-0c6f1f5d8a10';

describe('buildTraceFilterSql', () => {
  it('scopes by project only when no other field is set', () => {
    expect(buildTraceFilterSql({ projectId })).toEqual({
      sql: 't.project_id = $1::uuid',
      params: [projectId],
    });
  });

  it('renders every field with bound parameters in a fixed order', () => {
    const filter: TraceFilter = {
      projectId,
      startedFrom: new Date('2026-01-01T00:00:00Z'),
      startedBefore: new Date('2026-02-01T00:00:00Z'),
      status: 'ERROR',
      sessionId: 'sess-1',
      userId: 'user-1',
      tags: ['a', 'b', 'a'],
      name: 'Agent',
      environment: 'prod',
      release: 'v1',
    };
    const { sql, params } = buildTraceFilterSql(filter);
    expect(sql).toBe(
      [
        't.project_id = $1::uuid',
        't.started_at >= $2::timestamptz',
        't.started_at < $3::timestamptz',
        't.status = $4',
        't.session_id = $5',
        't.user_id = $6',
        't.environment = $7',
        't.release = $8',
        't.tags && $9::text[]',
        "t.name ILIKE $10 ESCAPE '\\'",
      ].join(' AND '),
    );
    expect(params).toEqual([
      projectId,
      '2026-01-01T00:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
      'ERROR',
      'sess-1',
      'user-1',
      'prod',
      'v1',
      ['a', 'b'],
      '%Agent%',
    ]);
  });

  it('uses the given alias and first placeholder number, so it composes into larger statements', () => {
    const { sql, params } = buildTraceFilterSql({ projectId, status: 'COMPLETED', tags: ['x'] }, 'tr', 4);
    expect(sql).toBe('tr.project_id = $4::uuid AND tr.status = $5 AND tr.tags && $6::text[]');
    expect(params).toEqual([projectId, 'COMPLETED', ['x']]);
  });

  it('treats an empty tag list and an empty name as no condition', () => {
    expect(buildTraceFilterSql({ projectId, tags: [], name: '' }).sql).toBe('t.project_id = $1::uuid');
  });

  it('never interpolates user text into the SQL', () => {
    const hostile = "x'; DROP TABLE traces; --";
    const { sql, params } = buildTraceFilterSql({
      projectId,
      sessionId: hostile,
      userId: hostile,
      name: hostile,
      tags: [hostile],
      environment: hostile,
      release: hostile,
    });
    expect(sql).not.toContain('DROP');
    expect(params).toContain(hostile);
  });

  it('escapes LIKE wildcards and backslashes in the name', () => {
    expect(escapeLikePattern('50%_off\\now')).toBe('50\\%\\_off\\\\now');
    expect(buildTraceFilterSql({ projectId, name: '100%' }).params[1]).toBe('%100\\%%');
  });

  it('rejects an unsafe alias, a bad placeholder index, an unknown status and invalid dates', () => {
    expect(() => buildTraceFilterSql({ projectId }, 't; DELETE')).toThrow(TypeError);
    expect(() => buildTraceFilterSql({ projectId }, 't', 0)).toThrow(TypeError);
    expect(() => buildTraceFilterSql({ projectId, status: 'DONE' as never })).toThrow(TypeError);
    expect(() => buildTraceFilterSql({ projectId, startedFrom: new Date('nope') })).toThrow(TypeError);
    expect(() => buildTraceFilterSql({ projectId: '' })).toThrow(TypeError);
  });
});
