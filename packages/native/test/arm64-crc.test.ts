/**
 * The CRC-32C kernels as the linux-arm64 prebuild compiles them (the ARMv8 CRC32C instructions, and
 * the table), run under qemu-user on this x86 machine against core's JS CRC: the same C as the
 * prebuild, cross-compiled by Debian's aarch64 gcc into a static test program. Needs the cross
 * compiler and qemu-aarch64-static, which scripts/prebuild.sh installs (CI runs it first).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { crc32c as crc32cJs } from '@rotortree/core/fs';
import { bytes, withTempDir } from './support.js';

const NATIVE = fileURLToPath(new URL('../native/', import.meta.url));
const HARNESS = fileURLToPath(new URL('./fixtures/crc-harness.c', import.meta.url));

describe.runIf(process.arch === 'x64' && process.platform === 'linux')('the arm64 CRC-32C kernels (under qemu-user)', () => {
  it('pick the ARMv8 CRC instructions and equal the JS CRC on every length, start and start value', async () => {
    await withTempDir('arm64-crc', (dir) => {
      const program = join(dir, 'crc-harness');
      const cc = spawnSync('aarch64-linux-gnu-gcc', ['-static', '-O2', '-std=gnu11', '-I', join(NATIVE, 'include'), HARNESS, join(NATIVE, 'src', 'crc32c.c'), '-o', program], { encoding: 'utf8' });
      expect(cc.error, 'aarch64-linux-gnu-gcc: run scripts/prebuild.sh (it installs it)').toBeUndefined();
      expect(cc.status, cc.stderr).toBe(0);
      const run = spawnSync('qemu-aarch64-static', [program], { encoding: 'utf8', timeout: 60_000 });
      expect(run.error, 'qemu-aarch64-static: run scripts/prebuild.sh (it installs it)').toBeUndefined();
      expect(run.status, run.stderr).toBe(0);
      const [kernel, ...lines] = run.stdout.trim().split('\n');
      expect(kernel).toBe('armv8-crc');
      expect(lines.length).toBe(14 * 4);
      for (const line of lines) {
        const [len, start, best, table] = line.split(' ').map((f, i) => (i < 2 ? Number(f) : parseInt(f, 16))) as [number, number, number, number];
        const input = bytes(len + start, len + 1);
        const want = crc32cJs(input, start, start + len, 0x12345678);
        expect(best, line).toBe(want);
        expect(table, line).toBe(want);
      }
    });
  });
});
