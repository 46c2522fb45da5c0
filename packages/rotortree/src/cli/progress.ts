/**
 * A small progress bar on stderr: redrawn in place (at most 10 times a second) on a terminal,
 * or one line per 10 % when forced on elsewhere (`--progress` into a log).
 * @module
 */

/** Where the bar is drawn. */
export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** One running bar. */
export interface Progress {
  /** Sets the work done (and the total, when it became known or changed). */
  update(done: number, total?: number): void;
  /** Draws the final state and ends the line. Idempotent. */
  finish(): void;
}

const NONE: Progress = { update() {}, finish() {} };
const REDRAW_MS = 100;
const BAR_WIDTH = 28;

/** `1234567` → `1.23M`. */
export function compact(x: number): string {
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)}G`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  return String(Math.round(x));
}

/** A progress bar labelled `label` counting `unit`s, or a no-op when `enabled` is false. */
export function progressBar(stream: ProgressStream, enabled: boolean, label: string, total: number, unit = ''): Progress {
  if (!enabled) return NONE;
  const tty = stream.isTTY === true;
  const start = performance.now();
  let last = -Infinity;
  let lastTenth = -1;
  let done = 0;
  let finished = false;

  const line = (): string => {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const secs = (performance.now() - start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const filled = Math.round(frac * BAR_WIDTH);
    const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled);
    const eta = rate > 0 && done < total ? ` eta ${Math.ceil((total - done) / rate)}s` : '';
    const u = unit === '' ? '' : ` ${unit}`;
    return `${label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${compact(done)}/${compact(total)}${u} ${compact(rate)}${u}/s${eta}`;
  };

  const draw = (force: boolean): void => {
    if (tty) {
      const now = performance.now();
      if (!force && now - last < REDRAW_MS) return;
      last = now;
      const cols = stream.columns ?? 0; // 0 on a terminal that reports no size
      const width = cols > 20 ? cols - 1 : 120;
      stream.write(`\r${line().slice(0, width)}\x1b[K`);
    } else {
      const tenth = total > 0 ? Math.floor((done / total) * 10) : 0;
      if (!force && tenth === lastTenth) return;
      lastTenth = tenth;
      stream.write(`${line()}\n`);
    }
  };

  return {
    update(d, t) {
      if (finished) return;
      done = d;
      if (t !== undefined) total = t;
      draw(false);
    },
    finish() {
      if (finished) return;
      finished = true;
      draw(true);
      if (tty) stream.write('\n');
    },
  };
}
