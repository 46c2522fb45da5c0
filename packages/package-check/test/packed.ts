/**
 * The tarballs of the global setup, as the test files receive them.
 * @module
 */
import { inject } from 'vitest';

/** One publishable package after `pnpm pack`. */
export interface PackedPackage {
  readonly name: string;
  /** The package's folder in the workspace. */
  readonly dir: string;
  /** The tarball's absolute path, when packing worked. */
  readonly tarball?: string;
  /** The paths inside the tarball (relative to its `package/`), when packing worked. */
  readonly files?: readonly string[];
  /** pnpm's output, when packing failed. */
  readonly error?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    packed: PackedPackage[];
  }
}

/** Every publishable package with its tarball (or packing error). */
export function packedPackages(): PackedPackage[] {
  return inject('packed');
}

/** The tarball of `pkg`; throws pnpm's output when it could not be packed. */
export function tarballOf(pkg: PackedPackage): string {
  if (pkg.tarball === undefined) throw new Error(pkg.error ?? `${pkg.name} was not packed`);
  return pkg.tarball;
}
