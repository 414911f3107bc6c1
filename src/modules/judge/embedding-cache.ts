const EMBEDDING_CACHE_SIZE = 2048;
/**
 * And at most this many numbers in all (8 MB as doubles): 2,048 vectors of 1,536 dimensions would
 * hold 25 MB in every worker for good; this keeps ~680 of those, all 2,048 up to 512 dimensions.
 */
const EMBEDDING_CACHE_MAX_VALUES = 1 << 20;

/** Embedding vectors by key, oldest evicted first, bounded in entries and in numbers held. */
export class EmbeddingCache {
  private readonly entries = new Map<string, number[]>();
  private values = 0;

  get(key: string): number[] | undefined {
    return this.entries.get(key);
  }

  remember(key: string, vector: number[]): void {
    if (this.entries.has(key) || vector.length > EMBEDDING_CACHE_MAX_VALUES) return;
    while (this.entries.size >= EMBEDDING_CACHE_SIZE || this.values + vector.length > EMBEDDING_CACHE_MAX_VALUES) {
      const [oldest, evicted] = this.entries.entries().next().value as [string, number[]];
      this.entries.delete(oldest);
      this.values -= evicted.length;
    }
    this.entries.set(key, vector);
    this.values += vector.length;
  }
}
