/**
 * Every publishable package, as packed, passes publint and "Are the Types Wrong?" (attw), and
 * every one is built before this package's tests run.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packedPackages, tarballOf } from './packed.js';
import { describeRun, PACKAGE_CHECK_DIR, readPackageJson, run, WORKSPACE_ROOT } from './workspace.js';

const bin = (tool: string): string => join(WORKSPACE_ROOT, 'node_modules', '.bin', tool);
const packed = packedPackages();

describe('the publishable packages', () => {
  it('are the ones this check knows, each a devDependency so turbo builds it first', () => {
    const declared = Object.keys(readPackageJson(PACKAGE_CHECK_DIR).devDependencies ?? {}).sort();
    expect(packed.map((p) => p.name).sort()).toEqual(declared);
    // The workspace publishes these; a new one must be added to package-check's devDependencies.
    expect(declared).toEqual(
      expect.arrayContaining([
        '@rotortree/checkpoint-mmap',
        '@rotortree/conformance',
        '@rotortree/core',
        '@rotortree/hasher-blake3',
        '@rotortree/wal-fs',
        'rotortree',
      ]),
    );
  });
});

describe.each(packed)('$name', (pkg) => {
  it('packs', () => {
    expect(pkg.error).toBeUndefined();
    expect(pkg.tarball).toMatch(/\.tgz$/);
  });

  it('ships no tests, no build output of this machine and no tool state', () => {
    const files = pkg.files ?? [];
    expect(files).toContain('package.json');
    expect(files.filter((f) => /^(test|bench|coverage)\/|(^|\/)(build|node_modules|\.turbo)\/|\.vitest-report\.json$|\.tsbuildinfo$/.test(f))).toEqual([]);
  });

  it('passes publint (strict: warnings fail, suggestions are reported)', async () => {
    const result = await run(bin('publint'), ['run', '--strict', '--level', 'suggestion', tarballOf(pkg)], { cwd: pkg.dir });
    const report = describeRun(`publint ${pkg.name}`, result);
    expect(result.status, report).toBe(0);
    expect(result.stdout, report).toContain('All good!');
  });

  // The packages are ESM only: the esm-only profile leaves out the CommonJS (node16-cjs) and
  // node10 resolutions, where an ESM-only package is expected to be unloadable by `require`.
  it('passes attw with the esm-only profile', async () => {
    const result = await run(bin('attw'), ['--profile', 'esm-only', '--no-color', '--no-emoji', tarballOf(pkg)], { cwd: pkg.dir });
    expect(result.status, describeRun(`attw ${pkg.name}`, result)).toBe(0);
  });
});
