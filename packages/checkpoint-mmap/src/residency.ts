/**
 * Keeping the resident memory of mapped segments bounded.
 *
 * A read of a mapped page puts it into the process's resident set, together with its neighbours
 * (Linux maps up to 64 KiB around a fault on a cached file, and whole large folios: up to megabytes
 * for files written in large writes). They stay there until the process unmaps them, although they
 * are page cache the kernel could drop. Random proofs over a large tree thus map most of its
 * segments. With a budget, the store watches the tree's reads of its runs (each first read of a
 * chunk) and, every few of them, how much file-backed memory the process holds (Linux:
 * `/proc/self/statm`; elsewhere an estimate per read). Once it grew by the budget since the last
 * release, the store releases every mapping's pages with `madvise(MADV_DONTNEED)` (the bytes stay
 * readable: the next read maps them again from the page cache) and tells the tree's levels to drop
 * their chunk views, so that later reads are seen again.
 * @module
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { RunResidency } from '@rotortree/core';

/** Without a way to measure: what one chunk read is assumed to make resident (the fault-around window). */
export const ASSUMED_BYTES_PER_CHUNK_READ = 64 * 1024;
/** Chunk reads between two measurements (a measurement costs ~3 µs; a first read, a page fault). */
const MEASURE_EVERY = 8;

/** Bytes of file-backed memory this process holds, read from `/proc/self/statm`; `undefined` off Linux. */
export function procFileResidentMeter(pageSize = 4096): (() => number) | undefined {
  let fd: number;
  try {
    fd = openSync('/proc/self/statm', 'r');
  } catch {
    return undefined;
  }
  const buf = Buffer.alloc(256);
  const meter = (): number => {
    const len = readSync(fd, buf, 0, buf.length, 0);
    // "size resident shared text lib data dt", in pages; shared = file-backed (+ shmem) resident pages.
    const fields = buf.toString('latin1', 0, len).split(' ');
    return Number(fields[2]) * pageSize;
  };
  try {
    if (!Number.isFinite(meter())) throw new Error('unexpected /proc/self/statm');
  } catch {
    closeSync(fd);
    return undefined;
  }
  return meter; // the descriptor lives as long as the process (one per process, see sharedMeter)
}

let shared: (() => number) | null | undefined;

/** One `/proc/self/statm` meter per process (or `undefined`). */
export function sharedMeter(pageSize?: number): (() => number) | undefined {
  if (shared === undefined) shared = procFileResidentMeter(pageSize) ?? null;
  return shared ?? undefined;
}

/** The {@link RunResidency} of one store: watches the tree's run reads, releases at the budget. */
export class MappedResidency implements RunResidency {
  #reads = 0;
  #baseline: number | undefined;
  readonly #budget: number | undefined;
  readonly #watchers = new Set<() => void>();
  readonly #releasePages: () => void;
  readonly #meter: (() => number) | undefined;

  /**
   * @param budgetBytes - release once this much more is resident (undefined: only when asked).
   * @param releasePages - drops the resident pages of every mapping of the store.
   * @param meter - file-backed resident bytes of the process (undefined: estimate per read).
   */
  constructor(budgetBytes: number | undefined, releasePages: () => void, meter: (() => number) | undefined) {
    this.#budget = budgetBytes;
    this.#releasePages = releasePages;
    this.#meter = meter;
  }

  /** Chunk reads seen since the last release. */
  get reads(): number {
    return this.#reads;
  }

  noteChunkRead(): void {
    const budget = this.#budget;
    if (budget === undefined) return;
    const reads = ++this.#reads;
    const meter = this.#meter;
    if (meter === undefined) {
      if (reads * ASSUMED_BYTES_PER_CHUNK_READ >= budget) this.release();
      return;
    }
    if (reads === 1) this.#baseline ??= meter();
    else if (reads % MEASURE_EVERY === 0 && meter() - this.#baseline! >= budget) this.release();
  }

  watch(forget: () => void): void {
    this.#watchers.add(forget);
  }

  /** Releases the resident pages of every mapping and makes the watching levels drop their chunk views. */
  release(): void {
    this.#reads = 0;
    this.#releasePages();
    for (const forget of this.#watchers) forget();
    this.#baseline = this.#meter?.();
  }
}
