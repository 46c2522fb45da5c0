/**
 * Exit codes of the `rotortree` command and the error codes behind them. Part of the CLI's
 * contract: scripts test them.
 * @module
 */
import { isRotorTreeError } from '@rotortree/core';
import { errnoOf, systemCause } from './errno.js';
import { printable } from './printable.js';

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
  /** The path the error is about, when it is about one. */
  readonly file: string | undefined;
  constructor(code: CliErrorCode, message: string, file?: string) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.file = file;
  }
}

/**
 * An error that stopped a command after part of its work was made durable (`append`): reported
 * with the code and exit code of its cause, its own message after the cause's, and `durable`.
 */
export class InterruptedError extends Error {
  /** Leaves known to be durable, first at `firstIndex`. */
  readonly durable: number;
  readonly firstIndex: number;
  constructor(cause: unknown, message: string, durable: number, firstIndex: number) {
    super(message, { cause });
    this.name = 'InterruptedError';
    this.durable = durable;
    this.firstIndex = firstIndex;
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
  /** The system error behind it, e.g. `ENOSPC` (also named in the message). */
  readonly cause?: string;
  /** `append` stopped by an error: leaves known to be durable, from `firstIndex`. */
  readonly durable?: number;
  readonly firstIndex?: number;
}

/** `message`, with the system error behind `err` named once (a full disk must say so). */
function withCause(message: string, err: unknown): { message: string; cause?: string } {
  const cause = systemCause(err);
  if (cause === undefined) return { message };
  return { message: message.includes(cause.code) ? message : `${message} (${cause.text})`, cause: cause.code };
}

/**
 * The report of any thrown value. A system error that escaped unwrapped is `IO` (a failed read or
 * write is never a bug to the user); anything else unknown is `INTERNAL`.
 */
export function reportOf(err: unknown): ErrorReport {
  if (err instanceof InterruptedError) {
    const base = reportOf(err.cause);
    return { ...base, message: `${base.message}; ${err.message}`, durable: err.durable, firstIndex: err.firstIndex };
  }
  if (err instanceof CliError) {
    return { code: err.code, message: err.message, exitCode: BY_CODE[err.code] ?? EXIT.INTERNAL, ...(err.file === undefined ? {} : { file: err.file }) };
  }
  if (isRotorTreeError(err)) {
    const message = err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message;
    return {
      code: err.code,
      ...withCause(message, err),
      exitCode: BY_CODE[err.code] ?? EXIT.INTERNAL,
      ...(err.file === undefined ? {} : { file: err.file }),
      ...(err.offset === undefined ? {} : { offset: err.offset }),
      ...(err.seq === undefined ? {} : { seq: err.seq }),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  if (errnoOf(err) !== undefined) return { code: 'IO', ...withCause(message, err), exitCode: EXIT.IO };
  return { code: 'INTERNAL', message, exitCode: EXIT.INTERNAL };
}

/** `rotortree: CODE: message (file F, offset O, seq S)`: one printable line (paths and quoted input escaped). */
export function formatReport(r: ErrorReport): string {
  const where: string[] = [];
  if (r.file !== undefined) where.push(`file ${r.file}`);
  if (r.offset !== undefined) where.push(`offset ${r.offset}`);
  if (r.seq !== undefined) where.push(`seq ${r.seq}`);
  const line = `rotortree: ${r.code}: ${r.message.replace(/\s*\n\s*/g, ' ')}`;
  return printable(where.length === 0 ? line : `${line} (${where.join(', ')})`);
}
