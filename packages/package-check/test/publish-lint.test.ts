/**
 * Every publishable package, as packed, passes publint and "Are the Types Wrong?" (attw), ships a
 * LICENSE, the registry's metadata and a README whose links work on the registry page, and its
 * prebuilt addons (linux-x64 and linux-arm64, of the right machine, loadable on glibc 2.28); and
 * every one is built before this package's tests run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
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
        '@rotortree/native',
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

/** The repository every package names (the one of the workspace's package.json). */
const REPOSITORY = readPackageJson(WORKSPACE_ROOT).repository?.url ?? '(none)';
const REPOSITORY_PAGE = REPOSITORY.replace(/^git\+/, '').replace(/\.git$/, '');

/** ELF e_machine of each Linux arch the prebuilds cover. */
const ELF_MACHINE: Record<string, number> = { x64: 62, arm64: 183 };
/** The newest glibc symbol version a prebuild may need: Node 20's own floor. */
const GLIBC_FLOOR = [2, 28];

/** The addons a package builds (native/addons.json), with the ABI tag of those tied to one. */
function addonsOf(dir: string): { name: string; abi?: boolean }[] {
  const spec = join(dir, 'native', 'addons.json');
  return existsSync(spec) ? (JSON.parse(readFileSync(spec, 'utf8')) as { addons: { name: string; abi?: boolean }[] }).addons : [];
}

describe.each(packed)('$name on the registry', (pkg) => {
  const json = readPackageJson(pkg.dir);

  it('ships a LICENSE (MIT) and names the repository, its folder, a homepage and keywords', () => {
    expect(pkg.files ?? []).toContain('LICENSE');
    expect(json.license).toBe('MIT');
    expect(readFileSync(join(pkg.dir, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(REPOSITORY).toMatch(/^git\+https:\/\/github\.com\/[\w-]+\/[\w.-]+\.git$/);
    expect(json.repository).toEqual({ type: 'git', url: REPOSITORY, directory: relative(WORKSPACE_ROOT, pkg.dir) });
    expect(json.homepage).toBe(`${REPOSITORY_PAGE}/tree/main/${relative(WORKSPACE_ROOT, pkg.dir)}#readme`);
    expect(json.keywords?.length ?? 0).toBeGreaterThan(0);
  });

  it('has a README whose links are absolute (they work on the registry page) and ships every example it names', () => {
    const readme = readFileSync(join(pkg.dir, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)\s]+)/g)].map((m) => m[1]!);
    expect(links.filter((link) => !/^(https:\/\/|#)/.test(link))).toEqual([]);
    const named = [...readme.matchAll(/(?<![\w/.-])((?:examples|bin)\/[\w./-]+\.m?[jt]s)\b/g)].map((m) => m[1]!);
    for (const file of named) expect(pkg.files ?? [], `${file} is named in the README`).toContain(file);
  });

  const addons = addonsOf(pkg.dir);
  it.runIf(addons.length > 0)('ships its addons prebuilt for linux-x64 and linux-arm64, of the right machine, needing at most glibc 2.28', () => {
    const abi = process.versions.modules;
    for (const [arch, machine] of Object.entries(ELF_MACHINE)) {
      for (const addon of addons) {
        const file = `prebuilds/linux-${arch}/${addon.name}${addon.abi === true ? `.abi${abi}` : ''}.node`;
        expect(pkg.files ?? [], `${file} (built by scripts/prebuild.sh)`).toContain(file);
        const bytes = readFileSync(join(pkg.dir, file));
        expect(bytes.subarray(0, 4).toString('latin1'), file).toBe('\x7fELF');
        expect(bytes.readUInt16LE(18), `${file}: ELF machine`).toBe(machine);
        const symbols = spawnSync('objdump', ['-T', join(pkg.dir, file)], { encoding: 'utf8' });
        expect(symbols.status, `objdump -T ${file}: ${symbols.stderr}`).toBe(0);
        for (const [, major, minor] of symbols.stdout.matchAll(/GLIBC_(\d+)\.(\d+)/g)) {
          const version = [Number(major), Number(minor)];
          const newer = version[0]! > GLIBC_FLOOR[0]! || (version[0] === GLIBC_FLOOR[0] && version[1]! > GLIBC_FLOOR[1]!);
          expect(newer, `${file} needs GLIBC_${major}.${minor}`).toBe(false);
        }
      }
    }
  });
});
