/**
 * The one build tool of rotortree's native addons. A package describes its addons in
 * `native/addons.json`; this module compiles them (straight with the C compiler: an N-API addon
 * needs only Node's headers) for this machine or, as prebuilds to ship, for every Linux arch there is
 * a compiler for. The C units every addon shares (CRC-32C, the N-API argument helpers) are compiled
 * from this package's own sources by include path: no package keeps a copy.
 *
 * addons.json: { "addons": [ { "name", "sources": [paths under native/], "shared"?: ["crc32c",
 * "napi_args"], "cflags"?: [...], "abi"?: true } ] }. `abi`: the addon uses V8's C++ API and fits one
 * Node ABI only; its prebuild is tagged with the ABI of the headers it was built with.
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonFileName, isMusl, localBuildPath, prebuildDir } from './paths.mjs';
import { compilersFor, headersAbi, nodeHeaders, PREBUILD_ARCHES } from './toolchain.mjs';

/** This package's folder: the shared C sources are in native/src, their headers in native/include. */
const NATIVE_PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const C_FLAGS = ['-std=gnu11'];
// C++20: the V8 headers of Node 22 and later need it (Node 20's take it too).
const CXX_FLAGS = ['-std=gnu++20', '-fno-exceptions', '-fno-rtti'];
const COMMON_FLAGS = ['-O3', '-Wall', '-Wextra', '-fPIC', '-fvisibility=hidden', '-fno-strict-aliasing', '-DNAPI_VERSION=8'];

/** The package's name (for messages) and its addons. */
export function readAddonSpec(packageDir) {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const spec = JSON.parse(readFileSync(join(packageDir, 'native', 'addons.json'), 'utf8'));
  if (!Array.isArray(spec.addons) || spec.addons.length === 0) throw new Error(`${packageDir}/native/addons.json lists no addons`);
  return { packageName: String(pkg.name), addons: spec.addons };
}

function runCompiler(command, args) {
  return new Promise((done) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (err) => done({ ok: false, output: `${command}: ${err.message}` }));
    child.on('close', (status) => done({ ok: status === 0, output: status === 0 ? output : `${command} ${args.join(' ')}\n${output}` }));
  });
}

/** Runs `jobs` (functions returning promises) at most `width` at a time. */
async function pool(jobs, width) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return results;
}

/**
 * Compiles `addon` of the package in `packageDir` for Linux (or this OS) `arch` into `out`.
 * Resolves `{ ok, output }`; never rejects. The file appears whole or not at all (rename).
 */
export async function compileAddon({ packageDir, addon, arch = process.arch, out, headers = nodeHeaders() }) {
  if (headers === undefined) return { ok: false, output: 'no Node headers (node_api.h): set npm_config_nodedir to the Node install prefix' };
  const compilers = compilersFor(arch);
  if (compilers.missing !== undefined) return { ok: false, output: compilers.missing };
  const sources = [
    ...(addon.sources ?? []).map((s) => join(packageDir, 'native', s)),
    ...(addon.shared ?? []).map((unit) => join(NATIVE_PACKAGE, 'native', 'src', `${unit}.c`)),
  ];
  const includes = ['-isystem', headers, '-I', join(NATIVE_PACKAGE, 'native', 'include')];
  const work = mkdtempSync(join(tmpdir(), `rotortree-build-${addon.name}-`));
  try {
    const compiled = await pool(
      sources.map((source, i) => () => {
        const cxx = extname(source) === '.cc';
        // C++: compat/ first, so that libstdc++ does not tie the addon to glibc 2.32 (see the header there).
        const compat = cxx ? ['-I', join(NATIVE_PACKAGE, 'native', 'compat')] : [];
        const args = [...(cxx ? CXX_FLAGS : C_FLAGS), ...COMMON_FLAGS, ...(addon.cflags ?? []), ...compat, ...includes, '-c', source, '-o', join(work, `${i}.o`)];
        return runCompiler(cxx ? compilers.cxx : compilers.cc, args);
      }),
      availableParallelism(),
    );
    const failed = compiled.find((r) => !r.ok);
    if (failed !== undefined) return failed;
    const anyCxx = sources.some((s) => extname(s) === '.cc');
    const shared = process.platform === 'darwin' && arch === process.arch ? ['-bundle', '-undefined', 'dynamic_lookup'] : ['-shared'];
    const linked = join(work, 'addon.node');
    const link = await runCompiler(anyCxx ? compilers.cxx : compilers.cc, [...shared, '-o', linked, ...sources.map((_, i) => join(work, `${i}.o`)), '-lm']);
    if (!link.ok) return link;
    mkdirSync(dirname(out), { recursive: true });
    renameSync(linked, out);
    return { ok: true, output: compiled.map((r) => r.output).join('') };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** True when the addon at `path` loads into this process. */
function loads(path) {
  try {
    process.dlopen({ exports: {} }, path);
    return true;
  } catch {
    return false;
  }
}

/**
 * What `npm install` runs (the packages' `install` script): for each addon, nothing when its prebuild
 * for this platform, arch (and Node ABI, for `abi` addons) loads; else a compile for this machine into
 * native/build/Release. Never throws: a failed compile is one line of output, and the loader then
 * uses the package's JS/WASM path (or reports what is missing at open). Returns the lines printed.
 */
export async function install(packageDir, env = process.env) {
  const { packageName, addons } = readAddonSpec(packageDir);
  const lines = [];
  for (const addon of addons) {
    const abi = addon.abi ? process.versions.modules : undefined;
    const prebuilt = join(prebuildDir(packageDir), addonFileName(addon.name, abi));
    let line;
    if (env.ROTORTREE_SKIP_NATIVE_BUILD === '1') line = 'not built (ROTORTREE_SKIP_NATIVE_BUILD=1)';
    else if (!isMusl() && existsSync(prebuilt) && loads(prebuilt)) line = `prebuilt for ${process.platform}-${process.arch} (loads)`;
    else {
      const result = await compileAddon({ packageDir, addon, out: localBuildPath(packageDir, addon.name), headers: nodeHeaders(env) });
      line = result.ok ? 'compiled for this machine' : `not built (${firstError(result.output)}): the package's fallback is used`;
    }
    lines.push(`[${packageName}] ${addon.name}: ${line}`);
  }
  return lines;
}

/** Compiles every addon for this machine into native/build/Release. Resolves the failures' output. */
export async function buildLocal(packageDir) {
  const { addons } = readAddonSpec(packageDir);
  const failures = [];
  for (const addon of addons) {
    const result = await compileAddon({ packageDir, addon, out: localBuildPath(packageDir, addon.name) });
    if (!result.ok) failures.push(`${addon.name}: ${result.output}`);
  }
  return failures;
}

/**
 * Compiles every addon for Linux on each of `arches` into prebuilds/linux-<arch>/ (the files the
 * tarball ships). Resolves the files written and the failures' output.
 */
export async function prebuild(packageDir, arches = PREBUILD_ARCHES) {
  const { addons } = readAddonSpec(packageDir);
  const headers = nodeHeaders();
  const written = [];
  const failures = [];
  for (const arch of arches) {
    for (const addon of addons) {
      const abi = addon.abi && headers !== undefined ? headersAbi(headers) : undefined;
      const out = join(prebuildDir(packageDir, 'linux', arch), addonFileName(addon.name, abi));
      const result = await compileAddon({ packageDir, addon, arch, out, headers });
      if (result.ok) written.push(out);
      else failures.push(`${addon.name} for linux-${arch}: ${result.output}`);
    }
  }
  return { written, failures };
}

/** The first line of compiler output that says what went wrong. */
function firstError(output) {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines.find((l) => /error|not found|no such|cannot/i.test(l)) ?? lines[0] ?? 'unknown error').slice(0, 200);
}
