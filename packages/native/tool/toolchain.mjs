/**
 * The compilers and Node headers the build tool uses: the host's `cc`/`c++` (or $CC/$CXX), or a
 * Debian cross compiler for another Linux arch; Node's headers from npm_config_nodedir, the running
 * Node's prefix, or /usr. An N-API addon needs nothing else: no node-gyp, no Python, no make.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Debian's GNU triplets of the arches the prebuilds cover (Node's arch names). */
const TRIPLETS = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/** Every arch that can be prebuilt. */
export const PREBUILD_ARCHES = Object.keys(TRIPLETS);

/** The Debian packages holding the cross compilers of `arch`, for the message when they are missing. */
export function crossPackages(arch) {
  const triplet = TRIPLETS[arch];
  return triplet === undefined ? [] : [`gcc-${triplet}`, `g++-${triplet}`];
}

/** True when `command` runs (is on PATH and executable). */
function runs(command) {
  const probe = spawnSync(command, ['--version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

/**
 * The C and C++ compilers for Linux `arch`: the host's own when arch is the host's, else the
 * cross compilers `<triplet>-gcc` / `<triplet>-g++`. Undefined (with the reason) when missing.
 */
export function compilersFor(arch) {
  if (arch === process.arch && process.platform !== 'win32') {
    const cc = process.env.CC || 'cc';
    const cxx = process.env.CXX || 'c++';
    return runs(cc) ? { cc, cxx } : { missing: `no C compiler (${cc}) on PATH` };
  }
  const triplet = TRIPLETS[arch];
  if (triplet === undefined) return { missing: `no known cross compiler for ${arch}` };
  const cc = `${triplet}-gcc`;
  const cxx = `${triplet}-g++`;
  if (!runs(cc) || !runs(cxx)) return { missing: `${cc}/${cxx} not found (Debian: apt-get install ${crossPackages(arch).join(' ')})` };
  return { cc, cxx };
}

/** The folder holding node_api.h (and v8.h), or undefined. */
export function nodeHeaders(env = process.env) {
  const prefixes = [env.npm_config_nodedir, resolve(dirname(process.execPath), '..'), '/usr', '/usr/local'];
  for (const prefix of prefixes) {
    if (!prefix) continue;
    const dir = join(prefix, 'include', 'node');
    if (existsSync(join(dir, 'node_api.h'))) return dir;
  }
  return undefined;
}

/** NODE_MODULE_VERSION of the headers in `dir` (the ABI an addon using V8's C++ API is built for). */
export function headersAbi(dir) {
  const text = readFileSync(join(dir, 'node_version.h'), 'utf8');
  const match = /#define NODE_MODULE_VERSION (\d+)/.exec(text);
  if (match === null) throw new Error(`no NODE_MODULE_VERSION in ${join(dir, 'node_version.h')}`);
  return Number(match[1]);
}
