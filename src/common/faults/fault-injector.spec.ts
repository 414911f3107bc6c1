import { loadConfig } from '../../config/env';
import { FaultInjector, InjectedFault, parseFaults } from './fault-injector';

const base = {
  DATABASE_URL: 'postgresql://x@127.0.0.1/x',
  REDIS_URL: 'redis://127.0.0.1:6379/0',
  JWT_SECRET: '0123456789abcdef0123456789abcdef',
};
const injector = (env: Record<string, string>) => new FaultInjector(loadConfig({ ...base, ...env }));

describe('FaultInjector', () => {
  it('throws at the armed hit of a point, once', () => {
    const faults = injector({ NODE_ENV: 'test' });
    faults.arm('judge', 2);
    expect(() => faults.hit('judge')).not.toThrow();
    expect(() => faults.hit('claim')).not.toThrow();
    expect(() => faults.hit('judge')).toThrow(InjectedFault);
    expect(() => faults.hit('judge')).not.toThrow();
    expect(faults.pending()).toBe(0);
    expect(faults.count('judge')).toBe(3);
  });

  it('counts from the moment it is armed', () => {
    const faults = injector({ NODE_ENV: 'test' });
    faults.hit('load');
    faults.arm('load', 1);
    expect(() => faults.hit('load')).toThrow('injected fault at load');
  });

  it('is armed from EVAL_FAULTS in tests, and inert outside NODE_ENV=test', () => {
    const armed = injector({ NODE_ENV: 'test', EVAL_FAULTS: 'finish@1' });
    expect(() => armed.hit('finish')).toThrow(InjectedFault);
    const inert = injector({ NODE_ENV: 'production', EVAL_FAULTS: 'finish@1' });
    expect(() => inert.hit('finish')).not.toThrow();
    expect(() => inert.arm('finish')).toThrow(/only available with NODE_ENV=test/);
  });

  it('parses point@n and kill@point:n, and refuses anything else', () => {
    expect(parseFaults('claim@2, kill@judge:6')).toEqual([
      { point: 'claim', nth: 2, action: 'throw' },
      { point: 'judge', nth: 6, action: 'kill' },
    ]);
    expect(() => parseFaults('nowhere@1')).toThrow(/cannot parse "nowhere@1"/);
    expect(() => parseFaults('judge@0')).toThrow(/cannot parse/);
  });
});
