import type { ApiKeyRow } from './api-keys.service';

const MAX_ENTRIES = 10_000;

/**
 * API-key lookups by (raw key, project name), kept `ttlMs` in one process. A revocation drops the
 * key's entries; a lookup that was in flight when a revocation arrived is not stored (the generation
 * moved), so it cannot put a revoked key back.
 */
export class KeyLookupCache {
  private readonly entries = new Map<string, { row: ApiKeyRow; at: number }>();
  private generationNow = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  get generation(): number {
    return this.generationNow;
  }

  get(rawKey: string, projectName: string | undefined): ApiKeyRow | undefined {
    const k = keyOf(rawKey, projectName);
    const hit = this.entries.get(k);
    if (!hit) return undefined;
    if (this.now() - hit.at >= this.ttlMs) {
      this.entries.delete(k);
      return undefined;
    }
    return hit.row;
  }

  /** Stores a row found by a lookup that began at `generation`. */
  set(rawKey: string, projectName: string | undefined, row: ApiKeyRow, generation: number): void {
    if (!this.enabled || generation !== this.generationNow) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(keyOf(rawKey, projectName), { row, at: this.now() });
  }

  /** Forgets every entry of one key. */
  drop(keyId: string): void {
    this.generationNow += 1;
    for (const [k, { row }] of this.entries) if (row.id === keyId) this.entries.delete(k);
  }

  /** Forgets everything (revocations may have been missed). */
  clear(): void {
    this.generationNow += 1;
    this.entries.clear();
  }
}

const keyOf = (rawKey: string, projectName: string | undefined) => `${rawKey}\n${projectName ?? ''}`;
