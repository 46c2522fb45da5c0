/**
 * A bounded cache of fetched pages (runs of whole chunks of lazily read levels), least recently used
 * first out. A page in use by a {@link S3CheckpointView.read} is leased and never evicted until the
 * read ends, so the cache may exceed its budget by the pages of the reads running at that moment.
 * Concurrent loads of one page share one fetch.
 * @module
 */

interface Entry {
  readonly bytes: Uint8Array;
  leases: number;
}

export class PageCache {
  readonly #budget: number;
  /** Insertion order is recency order: a hit moves the entry to the end. */
  readonly #pages = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<Uint8Array>>();
  #bytes = 0;
  /** Pages fetched and bytes fetched since creation (for tests and benchmarks). */
  fetches = 0;
  fetchedBytes = 0;

  constructor(budgetBytes: number) {
    this.#budget = budgetBytes;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The page `id` if held (marked as just used), else `undefined`. */
  get(id: string): Uint8Array | undefined {
    const entry = this.#pages.get(id);
    if (entry === undefined) return undefined;
    this.#pages.delete(id);
    this.#pages.set(id, entry);
    return entry.bytes;
  }

  /** Holds page `id` (fetched by `fetch` unless held or being fetched); leased when `lease`. */
  async load(id: string, fetch: () => Promise<Uint8Array>, lease: boolean): Promise<void> {
    let entry = this.#pages.get(id);
    if (entry === undefined) {
      let pending = this.#loading.get(id);
      if (pending === undefined) {
        pending = fetch();
        this.#loading.set(id, pending);
        pending.then(
          () => this.#loading.delete(id),
          () => this.#loading.delete(id),
        );
      }
      const bytes = await pending;
      entry = this.#pages.get(id);
      if (entry === undefined) {
        entry = { bytes, leases: 0 };
        this.#pages.set(id, entry);
        this.#bytes += bytes.length;
        this.fetches++;
        this.fetchedBytes += bytes.length;
      }
    }
    if (lease) entry.leases++;
    this.#evict();
  }

  /**
   * Ends leases taken by {@link load}, all before evicting: eviction then follows recency alone, not
   * the order in which the pages of one read happened to arrive.
   */
  release(ids: readonly string[]): void {
    for (const id of ids) {
      const entry = this.#pages.get(id);
      if (entry !== undefined && entry.leases > 0) entry.leases--;
    }
    this.#evict();
  }

  /** Drops every page. */
  clear(): void {
    this.#pages.clear();
    this.#bytes = 0;
  }

  #evict(): void {
    if (this.#bytes <= this.#budget) return;
    for (const [id, entry] of this.#pages) {
      if (this.#bytes <= this.#budget) break;
      if (entry.leases > 0) continue;
      this.#pages.delete(id);
      this.#bytes -= entry.bytes.length;
    }
  }
}
