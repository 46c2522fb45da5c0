/**
 * `@rotortree/native`: the file primitives of rotortree, once, in one N-API addon that ships
 * prebuilt for linux-x64 and linux-arm64 (compiled at install only where no prebuild fits):
 * CRC-32C with a JS fallback, read-only mmap for checkpoint segments, write-back starts, and the
 * one-writer `flock` on a directory or file (fs-ext where it built, else the addon). Also the
 * loader every rotortree addon goes through (`loadAddon`) and, as `@rotortree/native/build` and the
 * `rotortree-native-build` bin, the tool that builds them.
 * @module
 */
export { bestCrc32c, crc32cKernel } from './crc32c.js';
export type { Crc32c } from './crc32c.js';
export { fileMapper } from './mapping.js';
export type { FileMapper } from './mapping.js';
export { writebackStarter } from './writeback.js';
export { assertLockingSupported, lockDirectory, lockFile, lockProvider } from './lock.js';
export type { HeldLock, LockOptions, LockProvider } from './lock.js';
export { loadAddon, nativeDisabled } from './loader.js';
export type { AddonLoad, LoadAddonOptions } from './loader.js';
export { nativeAddonProblem } from './addon.js';
