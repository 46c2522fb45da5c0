/**
 * Node system errors (`ENOENT`, `ENOSPC`, ...) in words, for messages: what the user must know to
 * fix the cause (a full disk, a missing directory), whatever library error wraps it.
 * @module
 */

/** The errno code of a Node system error (`ENOENT`, ...), if `err` is one. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** The first system error in the cause chain of `err` (itself included), as `ENOSPC: no space left on device`. */
export function systemCause(err: unknown): { readonly code: string; readonly text: string } | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && e !== null && typeof e === 'object'; depth++) {
    const code = errnoOf(e);
    if (code !== undefined) {
      // Node's own text: "ENOSPC: no space left on device, write".
      const m = /^E[A-Z0-9]+: ([^,]+)/.exec(e instanceof Error ? e.message : '');
      return { code, text: m === null ? code : `${code}: ${m[1]!}` };
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

const WHY: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  EROFS: 'read-only file system',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/** Why a path could not be used: `does not exist (ENOENT)`; else the error's own text. */
export function why(err: unknown): string {
  const code = errnoOf(err);
  if (code === undefined) return err instanceof Error ? err.message : String(err);
  return WHY[code] === undefined ? (systemCause(err)?.text ?? code) : `${WHY[code]} (${code})`;
}
