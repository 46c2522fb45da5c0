/**
 * The parent side of the SIGKILL tests: spawns a child script that reports over stdout (see
 * child-acks.mjs: `R <size>` once recovered, `D <count>` each time leaves up to `count` are
 * durable) and kills it with SIGKILL at a random moment.
 */
import { spawn } from 'node:child_process';

/** What a killed child reported. */
export interface KilledChild {
  /** The highest acknowledged (durable) leaf count. */
  readonly acked: number;
  /** The size it recovered at open, if it got that far. */
  readonly recovered: number | undefined;
}

/** When {@link runChildUntilKilled} kills the child. */
export interface KillSchedule {
  /** Milliseconds after the child reported its recovery (`R`), or after the spawn with `fromSpawn`. */
  readonly killAfterMs: number;
  /**
   * Count from the spawn (a kill that may land during recovery). Counting from `R` by default lets a
   * loaded machine, where start-up alone can take longer than the delay, still make progress.
   */
  readonly fromSpawn?: boolean;
  /**
   * Kill as soon as the child has acknowledged this many leaves; `killAfterMs`, counted from the
   * spawn, is then only a deadline.
   */
  readonly afterAcked?: number;
}

/**
 * Runs `node script ...args` and SIGKILLs it as scheduled (without an `R` line within 20 s it is
 * killed anyway). Rejects if the child exits by itself.
 */
export function runChildUntilKilled(script: string, args: readonly string[], schedule: KillSchedule): Promise<KilledChild> {
  const { killAfterMs, afterAcked } = schedule;
  const fromSpawn = schedule.fromSpawn === true || afterAcked !== undefined;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = 0;
    let recovered: number | undefined;
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        const [tag, value] = line.split(' ');
        if (tag === 'D') {
          acked = Math.max(acked, Number(value));
          if (afterAcked !== undefined && acked >= afterAcked) child.kill('SIGKILL');
        }
        if (tag === 'R') {
          recovered = Number(value);
          if (!fromSpawn) {
            clearTimeout(timer);
            timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
          }
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    let timer = setTimeout(() => child.kill('SIGKILL'), fromSpawn ? killAfterMs : 20_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}: ${err}`));
      else resolve({ acked, recovered });
    });
  });
}
