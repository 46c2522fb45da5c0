/**
 * Exit codes of the `rotortree` command and the error codes behind them. Part of the CLI's
 * contract: scripts test them.
 * @module
 */
import { isRotorTreeError } from '@rotortree/core';

/** Every exit code, by name. */
export const EXIT = {
  /** Success (and `verify`: the proof is valid; `check`: nothing damaged). */
  OK: 0,
  /** `verify`: the proof is invalid or malformed (`INVALID_PROOF`). */
  INVALID: 1,
  /** Bad arguments or input (`USAGE`, `INVALID_NODE`, `EMPTY_BATCH`, `INDEX_OUT_OF_RANGE`). */
  USAGE: 2,
  /** Another process holds the directory (`FILE_LOCKED`). */
  LOCKED: 3,
  /** Stored data is damaged (`CORRUPTION`; `check` found damage). */
  CORRUPTION: 4,
  /** The directory was created with other parameters (`CONFIG_MISMATCH`). */
  CONFIG_MISMATCH: 5,
  /** A read, write or fsync failed (`IO`, `POISONED`). */
  IO: 6,
  /** There is no tree in `--dir` (`NO_TREE`: run `rotortree init`). */
  NO_TREE: 7,
  /** The tree is full: n^maxDepth leaves (`MAX_DEPTH_EXCEEDED`). */
  FULL: 8,
  /** This machine lacks what the tree needs, e.g. no `flock` provider (`UNSUPPORTED`). */
  UNSUPPORTED: 9,
  /** A bug (`INTERNAL`): please report it with the output of `--debug`. */
  INTERNAL: 10,
} as const;

/** Codes the CLI adds to the library's `ErrorCode`s. */
export type CliErrorCode = 'USAGE' | 'NO_TREE' | 'INTERNAL';

/** An error of the command line itself (arguments, input, a missing tree). */
export class CliError extends Error {
  readonly code: CliErrorCode;
  constructor(code: CliErrorCode, message: string) {
    super(message);
    this.name = 'CliError';
    this.code = code;
  }
}

const BY_CODE: Readonly<Record<string, number>> = {
  INVALID_PROOF: EXIT.INVALID,
  USAGE: EXIT.USAGE,
  INVALID_NODE: EXIT.USAGE,
  EMPTY_BATCH: EXIT.USAGE,
  INDEX_OUT_OF_RANGE: EXIT.USAGE,
  FILE_LOCKED: EXIT.LOCKED,
  CORRUPTION: EXIT.CORRUPTION,
  CONFIG_MISMATCH: EXIT.CONFIG_MISMATCH,
  IO: EXIT.IO,
  POISONED: EXIT.IO,
  NO_TREE: EXIT.NO_TREE,
  MAX_DEPTH_EXCEEDED: EXIT.FULL,
  UNSUPPORTED: EXIT.UNSUPPORTED,
};

/** What an error is reported as: its code, one-line message, location and exit code. */
export interface ErrorReport {
  readonly code: string;
  readonly message: string;
  readonly exitCode: number;
  readonly file?: string;
  readonly offset?: number;
  readonly seq?: number;
}

/** The report of any thrown value; unknown errors are `INTERNAL`. */
export function reportOf(err: unknown): ErrorReport {
  if (err instanceof CliError) return { code: err.code, message: err.message, exitCode: BY_CODE[err.code] ?? EXIT.INTERNAL };
  if (isRotorTreeError(err)) {
    const message = err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message;
    return {
      code: err.code,
      message,
      exitCode: BY_CODE[err.code] ?? EXIT.INTERNAL,
      ...(err.file === undefined ? {} : { file: err.file }),
      ...(err.offset === undefined ? {} : { offset: err.offset }),
      ...(err.seq === undefined ? {} : { seq: err.seq }),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message, exitCode: EXIT.INTERNAL };
}

/** `rotortree: CODE: message (file F, offset O, seq S)`: one line. */
export function formatReport(r: ErrorReport): string {
  const where: string[] = [];
  if (r.file !== undefined) where.push(`file ${r.file}`);
  if (r.offset !== undefined) where.push(`offset ${r.offset}`);
  if (r.seq !== undefined) where.push(`seq ${r.seq}`);
  const line = `rotortree: ${r.code}: ${r.message.replace(/\s*\n\s*/g, ' ')}`;
  return where.length === 0 ? line : `${line} (${where.join(', ')})`;
}
