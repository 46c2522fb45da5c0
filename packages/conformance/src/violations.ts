/**
 * Building and printing violations.
 * @module
 */
import { isRotorTreeError } from '@rotortree/core';
import type { Invariant, Violation } from './types.js';

/** Where a seeded case happened, printed with every violation it finds. */
export interface CaseInfo {
  readonly backend: string;
  readonly seed?: number;
  readonly op?: number;
  readonly mode?: string;
}

/** Collects the violations of one check. */
export class ViolationLog {
  readonly list: Violation[] = [];
  readonly #check: string;

  constructor(check: string) {
    this.#check = check;
  }

  /** Records a violation of `invariant` in the case `at`. */
  add(invariant: Invariant, at: CaseInfo, message: string): void {
    const where = [`backend=${at.backend}`];
    if (at.seed !== undefined) where.push(`seed=${at.seed}`);
    if (at.op !== undefined) where.push(`op=${at.op}`);
    if (at.mode !== undefined) where.push(`mode=${at.mode}`);
    const v: Violation = {
      check: this.#check,
      invariant,
      message: `${this.#check}/${invariant}: ${message} [${where.join(' ')}]`,
      ...(at.seed === undefined ? {} : { seed: at.seed }),
      ...(at.op === undefined ? {} : { op: at.op }),
      ...(at.mode === undefined ? {} : { mode: at.mode }),
    };
    this.list.push(v);
  }

  /** Runs `fn`; a throw becomes a violation (a check must never crash the suite). */
  async guard(invariant: Invariant, at: CaseInfo, what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.add(invariant, at, `${what} threw ${describeError(err)}`);
    }
  }
}

/** `CODE: message` for a RotorTreeError, else the error's name and message. */
export function describeError(err: unknown): string {
  if (isRotorTreeError(err)) return `${err.code} (${err.message})`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** The violations as one readable block (for test failures). */
export function formatViolations(list: readonly Violation[], limit = 10): string {
  const shown = list.slice(0, limit).map((v) => `  - ${v.message}`);
  const more = list.length > limit ? `\n  ... and ${list.length - limit} more` : '';
  return `${list.length} violation(s):\n${shown.join('\n')}${more}`;
}
