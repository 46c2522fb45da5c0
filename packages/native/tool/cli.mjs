#!/usr/bin/env node
/**
 * rotortree-native-build: builds the native addons of the rotortree package in the current folder
 * (described by its native/addons.json; see build.mjs).
 *
 *   rotortree-native-build install            npm's install script: use the prebuild if it loads,
 *                                             else compile for this machine; never fails
 *   rotortree-native-build build              compile for this machine into native/build/Release
 *                                             (exit 1 and the compiler's output on failure)
 *   rotortree-native-build prebuild [--arch x64,arm64]
 *                                             compile for Linux on each arch into prebuilds/ (the
 *                                             files the tarball ships); exit 1 if any fails
 */
import { install, buildLocal, prebuild } from './build.mjs';
import { PREBUILD_ARCHES } from './toolchain.mjs';

const [command, ...rest] = process.argv.slice(2);
const packageDir = process.cwd();

function archesOption() {
  const i = rest.indexOf('--arch');
  return i < 0 ? PREBUILD_ARCHES : (rest[i + 1] ?? '').split(',').filter(Boolean);
}

if (command === 'install') {
  try {
    for (const line of await install(packageDir)) console.log(line);
  } catch (err) {
    console.log(`[rotortree-native-build] install skipped: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exit(0);
} else if (command === 'build') {
  const failures = await buildLocal(packageDir);
  for (const failure of failures) console.error(failure);
  process.exit(failures.length === 0 ? 0 : 1);
} else if (command === 'prebuild') {
  const { written, failures } = await prebuild(packageDir, archesOption());
  for (const file of written) console.log(`wrote ${file}`);
  for (const failure of failures) console.error(failure);
  process.exit(failures.length === 0 ? 0 : 1);
} else {
  console.error('usage: rotortree-native-build install | build | prebuild [--arch x64,arm64]');
  process.exit(2);
}
