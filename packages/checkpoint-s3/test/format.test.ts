import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkNodesFor } from '@rotortree/core';
import { decodeManifest, encodeManifest } from '../src/format/manifest.js';
import type { Manifest } from '../src/format/manifest.js';
import { decodePointer, encodePointer } from '../src/format/pointer-format.js';
import { SegmentChecks, encodeTrailer, trailerCrcOf } from '../src/format/segment.js';
import { crc32c } from '../src/format/checksum.js';
import { identity, treeOf } from './support/trees.js';

/** The manifest of a tree of `size` leaves whose whole chunks are in one segment per level. */
function manifestOf(n: number, size: number): Manifest {
  const tree = treeOf(n, size);
  const cn = chunkNodesFor(n);
  const id = identity(n);
  const levels = [];
  const segments = [];
  for (let k = 0; k <= tree.depth; k++) {
    const len = tree.levelLength(k);
    const whole = Math.floor(Math.floor(size / n ** k) / cn);
    const nodes = new Uint8Array((len - whole * cn) * 32);
    for (let i = whole * cn; i < len; i++) tree.readNode(k, i, nodes, (i - whole * cn) * 32);
    levels.push({ wholeChunks: whole, nodes });
    if (whole > 0) segments.push({ level: k, firstChunk: 0, chunkCount: whole, epoch: 3, trailerCrc: 0x1234 + k });
  }
  return { n, maxDepth: id.maxDepth, hasherId: id.hasherId, treeId: id.treeId, chunkNodes: cn, size, seq: 9, epoch: 3, root: tree.root, segments, levels };
}

describe('formats', () => {
  it('a manifest decodes to what was encoded; any changed byte is CORRUPTION', () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 4, 16), fc.integer({ min: 0, max: 40_000 }), fc.nat(), (n, size, at) => {
        const m = manifestOf(n, size);
        const bytes = encodeManifest(m);
        const back = decodeManifest(bytes, 'k');
        expect({ ...back, levels: back.levels.map((l) => [l.wholeChunks, Buffer.from(l.nodes).toString('hex')]) }).toEqual({
          ...m,
          levels: m.levels.map((l) => [l.wholeChunks, Buffer.from(l.nodes).toString('hex')]),
        });
        const bad = bytes.slice();
        bad[at % bad.length]! ^= 1 << at % 8;
        expect(() => decodeManifest(bad, 'k')).toThrow(expect.objectContaining({ code: expect.stringMatching(/CORRUPTION|CONFIG_MISMATCH/), file: 'k' }));
      }),
      { numRuns: 60 },
    );
  });

  it('a pointer decodes to what was encoded; any changed byte is CORRUPTION', () => {
    const id = identity(4);
    for (const target of [undefined, { manifestKey: 'p/x/manifest/0000000000000007.e2', seq: 7, size: 5000, manifestBytes: 1234, manifestCrc: 0xdeadbeef }]) {
      const bytes = encodePointer({ treeId: id.treeId, epoch: 2, target });
      expect(decodePointer(bytes, 'k')).toEqual({ treeId: id.treeId, epoch: 2, target });
      for (let at = 0; at < bytes.length; at++) {
        const bad = bytes.slice();
        bad[at]! ^= 0x10;
        expect(() => decodePointer(bad, 'k')).toThrow(expect.objectContaining({ file: 'k' }));
      }
    }
  });

  it('a segment trailer checks each chunk, and refuses a trailer of another segment', () => {
    const chunkBytes = 64;
    const chunks = new Uint8Array(3 * chunkBytes).map((_, i) => i * 7);
    const crcs = new Uint32Array(3);
    for (let i = 0; i < 3; i++) crcs[i] = crc32c(chunks, i * 64, i * 64 + 64);
    const id = identity(4);
    const seg = { level: 1, firstChunk: 5, chunkCount: 3, epoch: 4 };
    const trailer = encodeTrailer(crcs, seg, chunkBytes, id.treeId);
    const checks = new SegmentChecks('s', trailer, { ...seg, chunkBytes, trailerCrc: trailerCrcOf(trailer), treeId: id.treeId });
    for (let i = 0; i < 3; i++) checks.check(i, chunks, i * 64);
    const bad = chunks.slice();
    bad[70]! ^= 1;
    expect(() => checks.check(1, bad, 64, true)).toThrow(expect.objectContaining({ code: 'CORRUPTION', file: 's', offset: 64 }));
    expect(() => new SegmentChecks('s', trailer, { ...seg, epoch: 5, chunkBytes, trailerCrc: trailerCrcOf(trailer), treeId: id.treeId })).toThrow(
      expect.objectContaining({ code: 'CORRUPTION' }),
    );
    expect(() => new SegmentChecks('s', trailer, { ...seg, chunkBytes, trailerCrc: trailerCrcOf(trailer), treeId: identity(4).treeId })).toThrow(
      expect.objectContaining({ code: 'CORRUPTION' }),
    );
  });
});

describe('options and lifecycle', () => {
  it('bad options are TypeError / RangeError', async () => {
    const { s3CheckpointStore } = await import('../src/index.js');
    const base = { endpoint: 'http://127.0.0.1:1', bucket: 'b', prefix: 'p' };
    expect(() => s3CheckpointStore({ ...base, bucket: '' })).toThrow(TypeError);
    expect(() => s3CheckpointStore({ bucket: 'b', prefix: 'p' })).toThrow(TypeError);
    expect(() => s3CheckpointStore({ ...base, readOnly: 'yes' as never })).toThrow(TypeError);
    expect(() => s3CheckpointStore({ ...base, requestTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => s3CheckpointStore({ ...base, pinAboveLevel: -1 })).toThrow(RangeError);
    expect(() => s3CheckpointStore({ ...base, pointer: {} as never })).toThrow(TypeError);
  });
});
