/**
 * Starting the write-out of a file's dirty pages without waiting for it (native/src/writeback.c).
 * @module
 */
import { nativeAddon } from './addon.js';

/**
 * `startWriteback(fd)`: `sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE)` on the libuv pool. It
 * makes nothing durable (an fdatasync must follow) and does not consume a write-back error; rejects
 * with the errno name as `code`. `undefined` off Linux, without the addon, or with
 * `ROTORTREE_DISABLE_NATIVE=1`. Fits `nodeFileSystem({ startWriteback })` of `@rotortree/core/fs`.
 */
export function writebackStarter(): ((fd: number) => Promise<void>) | undefined {
  return nativeAddon()?.startWriteback;
}
