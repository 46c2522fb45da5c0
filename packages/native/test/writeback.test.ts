/** startWriteback (sync_file_range): resolves on a written file, rejects with the errno name, checks its argument. */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writebackStarter } from '../src/writeback.js';
import { withTempDir } from './support.js';

const startWriteback = writebackStarter();

describe.runIf(process.platform === 'linux')('startWriteback (sync_file_range)', () => {
  it('is there on Linux with the addon', () => {
    expect(startWriteback).toBeTypeOf('function');
  });

  it('resolves on a file with written bytes, rejects with the errno name on a bad fd, and checks its argument', async () => {
    await withTempDir('writeback', async (dir) => {
      const fd = openSync(join(dir, 'f'), 'w+');
      try {
        writeSync(fd, new Uint8Array(1 << 20).fill(7));
        await expect(startWriteback!(fd)).resolves.toBeUndefined();
      } finally {
        closeSync(fd);
      }
      await expect(startWriteback!(fd)).rejects.toMatchObject({ code: 'EBADF', syscall: 'sync_file_range' });
      expect(() => startWriteback!(-1)).toThrow(RangeError);
      expect(() => startWriteback!('3' as unknown as number)).toThrow(TypeError);
    });
  });
});
