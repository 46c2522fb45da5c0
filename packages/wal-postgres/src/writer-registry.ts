/**
 * What a checkpoint pointer needs of the WAL whose epoch fences it (pointer.ts), found from the
 * `Wal` object `postgresWal()` returned, without widening the WAL's public interface.
 * @module
 */
import type { ResolvedOptions } from './options.js';
import type { Tables } from './schema.js';

/** A PostgreSQL WAL as its pointer sees it. */
export interface WriterSource {
  readonly options: ResolvedOptions;
  readonly tables: Tables;
  readonly location: string;
  /** The epoch the WAL holds (0 before its open). */
  epoch(): number;
  /** The tree's identity once the WAL has opened or created its log. */
  treeId(): string | undefined;
}

const writers = new WeakMap<object, WriterSource>();

export function registerWriter(wal: object, source: WriterSource): void {
  writers.set(wal, source);
}

/** The source of a WAL made by `postgresWal()`, or `undefined` for any other object. */
export function writerSourceOf(wal: unknown): WriterSource | undefined {
  return wal !== null && typeof wal === 'object' ? writers.get(wal) : undefined;
}
