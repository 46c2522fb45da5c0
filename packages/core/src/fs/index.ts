/**
 * `@rotortree/core/fs`: the file-system seam of the file backends — the {@link FileSystem}
 * interface, the real one ({@link nodeFileSystem}), the fault-injecting in-memory one
 * ({@link faultyFileSystem}) for crash tests, and CRC-32C.
 * @module
 */
export type { FileHandle, FileStat, FileSystem, OpenFlags } from './types.js';
export { FileSystemError, fsErrorCode } from './errors.js';
export { nodeFileSystem } from './node.js';
export type { NodeFileSystemOptions } from './node.js';
export { CRASH_MODES, faultyFileSystem } from './faulty.js';
export type { CrashMode, CrashReport, FaultRule, FaultyFileSystem, FaultyFileSystemOptions, FsOp } from './faulty.js';
export { crc32c } from './crc32c.js';
export { mkdirDurable, pwriteAll, readWholeFile, writeFileAtomic } from './helpers.js';
export { baseName, dirName, joinPath, normalizePath } from './path.js';
export { createPrng } from './prng.js';
export type { Prng } from './prng.js';
