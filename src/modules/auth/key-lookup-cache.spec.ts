import type { ApiKeyRow } from './api-keys.service';
import { KeyLookupCache } from './key-lookup-cache';

const row = (id: string): ApiKeyRow => ({ id, orgId: 'org', projectId: 'project', expiresAtMs: null });

describe('KeyLookupCache', () => {
  let now = 0;
  const clock = () => now;

  it('serves an entry for the TTL, then forgets it', () => {
    const cache = new KeyLookupCache(1000, clock);
    cache.set('sk', 'p', row('k1'), cache.generation);
    now += 999;
    expect(cache.get('sk', 'p')?.id).toBe('k1');
    expect(cache.get('sk', 'other')).toBeUndefined();
    now += 1;
    expect(cache.get('sk', 'p')).toBeUndefined();
  });

  it('drops every entry of a revoked key, and refuses a lookup that raced the revocation', () => {
    const cache = new KeyLookupCache(1000, clock);
    cache.set('sk1', 'a', row('k1'), cache.generation);
    cache.set('sk1', 'b', row('k1'), cache.generation);
    cache.set('sk2', 'a', row('k2'), cache.generation);
    const inFlight = cache.generation;
    cache.drop('k1');
    expect(cache.get('sk1', 'a')).toBeUndefined();
    expect(cache.get('sk1', 'b')).toBeUndefined();
    expect(cache.get('sk2', 'a')?.id).toBe('k2');
    cache.set('sk1', 'a', row('k1'), inFlight); // began before the revocation: not stored
    expect(cache.get('sk1', 'a')).toBeUndefined();
  });

  it('stores nothing with a TTL of 0, and clear() empties it', () => {
    const off = new KeyLookupCache(0, clock);
    off.set('sk', 'p', row('k1'), off.generation);
    expect(off.get('sk', 'p')).toBeUndefined();
    const cache = new KeyLookupCache(1000, clock);
    cache.set('sk', 'p', row('k1'), cache.generation);
    cache.clear();
    expect(cache.get('sk', 'p')).toBeUndefined();
  });
});
