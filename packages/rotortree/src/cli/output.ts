/**
 * What a command writes: results on stdout (text, or one JSON object with `--json`), progress and
 * notes on stderr, errors as one line on stderr (and as JSON on stdout with `--json`).
 * @module
 */
import type { Readable } from 'node:stream';
import type { ErrorReport } from './exit-codes.js';
import { formatReport } from './exit-codes.js';
import type { Progress, ProgressStream } from './progress.js';
import { progressBar } from './progress.js';

/** The process streams a command uses (replaceable in tests). */
export interface CliIo {
  readonly stdout: ProgressStream & { write(chunk: string | Uint8Array): unknown };
  readonly stderr: ProgressStream;
  readonly stdin: Readable & { readonly isTTY?: boolean };
}

/** Output switches shared by every command. */
export interface OutputFlags {
  readonly json: boolean;
  readonly debug: boolean;
  /** true: `--progress`; false: `--no-progress`; undefined: only when stderr is a terminal. */
  readonly progress: boolean | undefined;
}

/** The output side of one command run. */
export class Output {
  readonly io: CliIo;
  readonly flags: OutputFlags;

  constructor(io: CliIo, flags: OutputFlags) {
    this.io = io;
    this.flags = flags;
  }

  /** The command's result: `text` lines, or `json` as one line with `--json`. */
  result(text: string | readonly string[], json: object): void {
    if (this.flags.json) this.io.stdout.write(`${JSON.stringify(json)}\n`);
    else this.io.stdout.write(`${typeof text === 'string' ? text : text.join('\n')}\n`);
  }

  /** A progress bar on stderr (a no-op unless enabled). */
  progress(label: string, total: number, unit = ''): Progress {
    const enabled = this.flags.progress ?? this.io.stderr.isTTY === true;
    return progressBar(this.io.stderr, enabled, label, total, unit);
  }

  /** An error: one line on stderr (the stack too with `--debug`), and JSON on stdout with `--json`. */
  error(report: ErrorReport, err: unknown): void {
    this.io.stderr.write(`${formatReport(report)}\n`);
    if (this.flags.debug && err instanceof Error && err.stack !== undefined) {
      this.io.stderr.write(`${err.stack}\n`);
      if (err.cause !== undefined) this.io.stderr.write(`cause: ${err.cause instanceof Error ? (err.cause.stack ?? err.cause.message) : String(err.cause)}\n`);
    } else if (report.code === 'INTERNAL') {
      this.io.stderr.write('rotortree: run again with --debug for the stack trace\n');
    }
    if (this.flags.json) this.io.stdout.write(`${JSON.stringify({ error: report })}\n`);
  }
}
