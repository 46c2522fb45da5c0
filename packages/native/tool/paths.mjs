/**
 * Where an addon of a rotortree package lives, for the build tool (which writes it) and the
 * loader (which reads it): one definition of the layout.
 *
 *   <package>/native/build/Release/<name>.node        compiled on this machine (install or dev build)
 *   <package>/prebuilds/<platform>-<arch>/<name>.node  shipped in the tarball (N-API: any Node)
 *   <package>/prebuilds/<platform>-<arch>/<name>.abi<N>.node   one Node ABI only (V8 C++ API)
 *
 * Linux prebuilds are glibc builds (they need glibc 2.28, as Node 20 itself): on a musl system they
 * are skipped and the addon is compiled at install, as where no prebuild fits.
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The folder of the prebuilds for `platform` and `arch` (Node's names: `linux`, `x64`, `arm64`). */
export function prebuildDir(packageDir, platform = process.platform, arch = process.arch) {
  return join(packageDir, 'prebuilds', `${platform}-${arch}`);
}

/** The file name of addon `name`, tagged with the Node ABI (`process.versions.modules`) when it has one. */
export function addonFileName(name, abi) {
  return abi === undefined ? `${name}.node` : `${name}.abi${abi}.node`;
}

/** Where `npm install` or a dev build compiles the addon on this machine. */
export function localBuildPath(packageDir, name) {
  return join(packageDir, 'native', 'build', 'Release', `${name}.node`);
}

/** True on a Linux whose C library is musl (a glibc prebuild does not load there). */
export function isMusl() {
  if (process.platform !== 'linux') return false;
  const loaderArch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  return existsSync(`/lib/ld-musl-${loaderArch}.so.1`);
}

/**
 * The files to try for addon `name` of the package in `packageDir`, in order: the one compiled on
 * this machine, then the prebuild for this platform and arch (none on musl). `abi`: the addon uses
 * V8's C++ API and fits only that Node ABI (the local build is then checked by the caller).
 */
export function addonCandidates(packageDir, name, abi) {
  const candidates = [localBuildPath(packageDir, name)];
  if (!isMusl()) candidates.push(join(prebuildDir(packageDir), addonFileName(name, abi)));
  return candidates;
}
