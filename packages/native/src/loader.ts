/**
 * Loading a rotortree addon: the one compiled on this machine (`native/build/Release`), else the
 * prebuild shipped in the package (`prebuilds/<platform>-<arch>/`), the layout of
 * `@rotortree/native/paths`. Never throws: a missing, broken or incomplete addon gives the list of
 * what was tried and why each failed, so that a caller can fall back or say what is missing.
 *
 * Our own loader instead of node-gyp-build: a package here may ship several addons (node-gyp-build
 * resolves one per package folder), one of them tied to a Node ABI and checked by its `abi` export,
 * and the install script must ask the same question ("does the prebuild load?") before compiling.
 * @module
 */
import { createRequire } from 'node:module';
import { addonCandidates } from '@rotortree/native/paths';

const requireAddon = createRequire(import.meta.url);

/** What {@link loadAddon} found. */
export interface AddonLoad<T> {
  /** The addon, when one loaded and passed the check. */
  readonly addon: T | undefined;
  /** The file it came from. */
  readonly path: string | undefined;
  /** Each file tried before, with why it was not used. */
  readonly failures: readonly string[];
}

/** Options of {@link loadAddon}. */
export interface LoadAddonOptions {
  /**
   * The addon uses V8's C++ API: its prebuild is tagged with the Node ABI it fits, and any file
   * is used only when its `abi` export equals `process.versions.modules`.
   */
  readonly abi?: boolean;
}

/**
 * Loads addon `name` of the package whose folder is `packageDir` (the folder holding its
 * package.json). `complete` checks its exports (the functions the caller will call exist).
 */
export function loadAddon<T>(packageDir: string, name: string, complete: (exports: Record<string, unknown>) => boolean, options: LoadAddonOptions = {}): AddonLoad<T> {
  const abi = options.abi === true ? process.versions.modules : undefined;
  const failures: string[] = [];
  for (const path of addonCandidates(packageDir, name, abi)) {
    let exports: Record<string, unknown>;
    try {
      exports = requireAddon(path) as Record<string, unknown>;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      failures.push(`${path}: ${code === 'MODULE_NOT_FOUND' ? 'not there' : err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      continue;
    }
    if (abi !== undefined && String(exports['abi']) !== abi) {
      failures.push(`${path}: built for Node ABI ${String(exports['abi'])}, this is ${abi}`);
      continue;
    }
    if (!complete(exports)) {
      failures.push(`${path}: lacks exports this version needs`);
      continue;
    }
    return { addon: exports as T, path, failures };
  }
  return { addon: undefined, path: undefined, failures };
}

/** True when `ROTORTREE_DISABLE_NATIVE` is `"1"` now: every native path then reports itself unavailable. */
export function nativeDisabled(env: Record<string, string | undefined> = process.env): boolean {
  return env['ROTORTREE_DISABLE_NATIVE'] === '1';
}
