/**
 * Validation of {@link OpenOptions}: every option is checked before anything is touched, and a value
 * of the wrong kind is a `TypeError` (a number out of its range a `RangeError`) naming the option.
 * The engine and the backends check what they are handed again (their own contracts); this catches
 * what they would not see, such as `create: 'no'` (which would otherwise read as true).
 * @module
 */
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
  if (!isObject(options) || Array.isArray(options)) throw new TypeError(`options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) throw new TypeError(`options.${key} is not an option of open()`);
  integer(options, 'n', 2, 256);
  integer(options, 'maxDepth', 1, 64);
  const hasher = options['hasher'];
  if (hasher !== undefined && (!isObject(hasher) || typeof hasher['id'] !== 'string' || typeof hasher['hashGroup'] !== 'function')) {
    throw new TypeError(`options.hasher must be a Hasher (e.g. blake3()), got ${describe(hasher)}`);
  }
  for (const name of ['flushPolicy', 'checkpointPolicy'] as const) {
    const v = options[name];
    if (v !== undefined && (!isObject(v) || typeof v['kind'] !== 'string')) throw new TypeError(`options.${name} must be an object with a kind, got ${describe(v)}`);
  }
  boolean(options, 'checkpointOnClose');
  boolean(options, 'verifyCheckpoint');
  boolean(options, 'create');
  const tiering = options['tiering'];
  if (tiering !== undefined && tiering !== false && (!isObject(tiering) || typeof tiering['pinAboveLevel'] !== 'number')) {
    throw new TypeError(`options.tiering must be false or { pinAboveLevel }, got ${describe(tiering)}`);
  }
  const mmap = options['mmap'];
  if (mmap !== undefined && mmap !== 'auto' && mmap !== 'off') throw new TypeError(`options.mmap must be 'auto' or 'off', got ${describe(mmap)}`);
  integer(options, 'maxResidentBytes', 1, Number.MAX_SAFE_INTEGER);
  integer(options, 'walPreallocate', 0, MAX_PREALLOCATE);
}
