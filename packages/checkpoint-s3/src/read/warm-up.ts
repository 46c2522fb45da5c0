/**
 * What a reader fetches of its lazily read levels at open, in parallel with the download of the
 * pinned ones, so that its first proof waits for one ranged GET per lazy level and nothing more:
 * - each lazy level's last page together with its segment's trailer, in one ranged GET (they are
 *   adjacent in the object; the last page is what a proof of a recent leaf reads);
 * - the trailers of the other lazy segments, up to {@link OPEN_TRAILERS} of them (a 1M-leaf tree at
 *   N=4 and 16 MiB segments has 4 lazy segments below level 3; a 100M-leaf one has ~200 on level 0
 *   alone, whose trailers are fetched on first use instead).
 * Nothing here is awaited by the open: a read waits for what it needs (the page cache and each
 * segment share one fetch), and a failure is dropped (the read fetches it again, and reports it).
 * @module
 */
import type { PageCache } from './page-cache.js';
import type { RemoteSegment } from './segments.js';
import { pageOf } from './view.js';

/** Trailers of lazy segments (besides each level's last) fetched at open. */
export const OPEN_TRAILERS = 16;

/** Starts the fetches above for the lazy levels' `segments` (each level's sorted by first chunk). */
export function warmLazyLevels(levels: ReadonlyArray<readonly RemoteSegment[]>, cache: PageCache, fetchChunks: number): void {
  let trailers = OPEN_TRAILERS;
  for (const segments of levels) {
    const last = segments[segments.length - 1];
    if (last === undefined) continue;
    const { id, first } = pageOf(last, last.entry.chunkCount - 1, fetchChunks);
    cache.load(id, () => last.tailPage(first), false).catch(() => undefined);
  }
  for (let k = levels.length - 1; k >= 0 && trailers > 0; k--) {
    const segments = levels[k]!;
    for (let i = segments.length - 2; i >= 0 && trailers > 0; i--, trailers--) segments[i]!.prefetchTrailer();
  }
}
