/**
 * Validation of {@link OpenOptions} and {@link FollowDirOptions}: every option is checked before anything is touched, and a value
 * of the wrong kind is a `TypeError` (a number out of its range a `RangeError`) naming the option.
 * The engine and the backends check what they are handed again (their own contracts); this catches
 * what they would not see, such as `create: 'no'` (which would otherwise read as true).
 * @module
 */
import type { FollowDirOptions } from './follow.js';
import type { OpenOptions } from './open.js';

const KNOWN = new Set([
  'n',
  'maxDepth',
  'hasher',
  'flushPolicy',
  'checkpointPolicy',
  'checkpointOnClose',
  'tiering',
  'verifyCheckpoint',
  'create',
  'mmap',
  'maxResidentBytes',
  'walPreallocate',
]);

/** Largest `walPreallocate`: 1 GiB (as `fsWal`'s `preallocate`). */
const MAX_PREALLOCATE = 1 << 30;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object';
}

function boolean(options: Record<string, unknown>, name: string): void {
  const v = options[name];
  if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`options.${name} must be a boolean, got ${describe(v)}`);
}

function integer(options: Record<string, unknown>, name: string, min: number, max: number): void {
  const v = options[name];
  if (v === undefined) return;
  if (typeof v !== 'number') throw new TypeError(`options.${name} must be a number, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`options.${name} must be an integer in ${min}..${max}, got ${v}`);
}

function describe(v: unknown): string {
  return v === null ? 'null' : typeof v === 'string' ? JSON.stringify(v) : typeof v;
}

/** Throws `TypeError`/`RangeError` naming the first option that is not valid. */
export function assertOpenOptions(options: unknown): asserts options is OpenOptions {
  const o = knownOptions(options, KNOWN, 'open()');
  integer(o, 'n', 2, 256);
  integer(o, 'maxDepth', 1, 64);
  for (const name of ['flushPolicy', 'checkpointPolicy'] as const) {
    const v = o[name];
    if (v !== undefined && (!isObject(v) || typeof v['kind'] !== 'string')) throw new TypeError(`options.${name} must be an object with a kind, got ${describe(v)}`);
  }
  boolean(o, 'checkpointOnClose');
  boolean(o, 'verifyCheckpoint');
  boolean(o, 'create');
  readingOptions(o);
  integer(o, 'walPreallocate', 0, MAX_PREALLOCATE);
}

const FOLLOW_KNOWN = new Set(['hasher', 'tiering', 'pollMs', 'mmap', 'maxResidentBytes']);

/** Throws `TypeError`/`RangeError` naming the first option of `follow()` that is not valid. */
export function assertFollowOptions(options: unknown): asserts options is FollowDirOptions {
  const o = knownOptions(options, FOLLOW_KNOWN, 'follow()');
  readingOptions(o);
  const pollMs = o['pollMs'];
  if (pollMs !== undefined && typeof pollMs !== 'number') throw new TypeError(`options.pollMs must be a number, got ${describe(pollMs)}`);
  if (typeof pollMs === 'number' && !(pollMs >= 0 && Number.isFinite(pollMs))) throw new RangeError(`options.pollMs must be a finite number >= 0, got ${pollMs}`);
}

/** `options` as a record of known names only. */
function knownOptions(options: unknown, known: ReadonlySet<string>, of: string): Record<string, unknown> {
  if (!isObject(options) || Array.isArray(options)) throw new TypeError(`options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) if (!known.has(key)) throw new TypeError(`options.${key} is not an option of ${of}`);
  return options;
}

/** The options that say how a tree is read: its hasher, tiering, mmap, the resident budget. */
function readingOptions(o: Record<string, unknown>): void {
  const hasher = o['hasher'];
  if (hasher !== undefined && (!isObject(hasher) || typeof hasher['id'] !== 'string' || typeof hasher['hashGroup'] !== 'function')) {
    throw new TypeError(`options.hasher must be a Hasher (e.g. blake3()), got ${describe(hasher)}`);
  }
  const tiering = o['tiering'];
  if (tiering !== undefined && tiering !== false && (!isObject(tiering) || typeof tiering['pinAboveLevel'] !== 'number')) {
    throw new TypeError(`options.tiering must be false or { pinAboveLevel }, got ${describe(tiering)}`);
  }
  const mmap = o['mmap'];
  if (mmap !== undefined && mmap !== 'auto' && mmap !== 'off') throw new TypeError(`options.mmap must be 'auto' or 'off', got ${describe(mmap)}`);
  integer(o, 'maxResidentBytes', 1, Number.MAX_SAFE_INTEGER);
}
