/**
 * `/`-separated path helpers without `node:path`, for the in-memory file system and callers
 * that must not import Node modules.
 * @module
 */

/** Joins path parts with single `/` separators. */
export function joinPath(...parts: string[]): string {
  return normalizePath(parts.filter((p) => p.length > 0).join('/'));
}

/** Collapses repeated `/` and drops a trailing `/` (but keeps a lone `/`). */
export function normalizePath(path: string): string {
  const p = path.replace(/\/+/g, '/');
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/** The directory part of `path` (`.` when there is none). */
export function dirName(path: string): string {
  const p = normalizePath(path);
  const i = p.lastIndexOf('/');
  if (i < 0) return '.';
  return i === 0 ? '/' : p.slice(0, i);
}

/** The last part of `path`. */
export function baseName(path: string): string {
  const p = normalizePath(path);
  return p.slice(p.lastIndexOf('/') + 1);
}
