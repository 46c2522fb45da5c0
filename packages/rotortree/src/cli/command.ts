/**
 * The shape of a sub-command, its parsed arguments, and argument helpers.
 * @module
 */
import { CliError } from './exit-codes.js';
import type { Output } from './output.js';
import { printable } from './printable.js';

/** One option of a command (for `node:util` parseArgs, plus help text). */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** `--name <arg>` in the help. */
  readonly arg?: string;
  readonly help: string;
}

/** What a command receives. */
export interface CommandContext {
  readonly out: Output;
  /** Option values by long name (strings or booleans; absent when not given). */
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
  /** `--dir`, present when the command needs one. */
  readonly dir: string;
}

/** A sub-command of `rotortree`. */
export interface Command {
  readonly name: string;
  /** Positional arguments, e.g. `<index>`. */
  readonly args: string;
  /** Smallest and largest positional count. */
  readonly positionals: readonly [number, number];
  readonly summary: string;
  /** `required`, `optional` (only some modes) or `none`. */
  readonly dir: 'required' | 'optional' | 'none';
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Runs the command; resolves with the exit code. Throws for errors (reported by the caller). */
  run(ctx: CommandContext): Promise<number>;
}

/** A usage error (about the path `file`, when given). */
export function usage(message: string, file?: string): CliError {
  return new CliError('USAGE', message, file);
}

/** An integer option in `min..max`, or `fallback` when absent. */
export function intOption(ctx: CommandContext, name: string, min: number, max: number, fallback: number): number;
export function intOption(ctx: CommandContext, name: string, min: number, max: number): number | undefined;
export function intOption(ctx: CommandContext, name: string, min: number, max: number, fallback?: number): number | undefined {
  const raw = ctx.values[name];
  if (raw === undefined) return fallback;
  return parseInteger(String(raw), `--${name}`, min, max);
}

/** A decimal integer (underscores and commas allowed as separators) in `min..max`. */
export function parseInteger(raw: string, what: string, min: number, max: number): number {
  const cleaned = raw.replace(/[_,]/g, '');
  if (!/^\d+$/.test(cleaned)) throw usage(`${what} must be an integer, got "${raw}"`);
  const v = Number(cleaned);
  if (!Number.isSafeInteger(v) || v < min || v > max) throw usage(`${what} must be in ${min}..${max}, got ${raw}`);
  return v;
}

const HEX64 = /^(?:0x)?([0-9a-fA-F]{64})$/;

/** A 32-byte node from 64 hex digits (optionally `0x`-prefixed). */
export function parseNode(raw: string, what: string): Uint8Array {
  const m = HEX64.exec(raw.trim());
  if (m === null) throw usage(`${what} must be 64 hex digits, got "${shorten(raw)}"`);
  const hex = m[1]!;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** At most 24 characters of `s`, printable (see {@link printable}), for error messages. */
export function shorten(s: string): string {
  return printable(s.length <= 24 ? s : `${s.slice(0, 21)}...`);
}

/** `1234567` → `1,234,567`. */
export function grouped(x: number): string {
  return x.toLocaleString('en-US');
}

/** Bytes as `12.3 MiB`. */
export function bytesText(x: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = x;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${x} B` : `${v.toFixed(1)} ${units[u]}`;
}
