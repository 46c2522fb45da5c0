/**
 * `rotortree verify <proof-file>`: check an inclusion proof against the tree in `--dir`, or against
 * a trusted `--root`, `--size` and `--n` (all three: a size or n left to the proof lets an inner node
 * pass as a leaf). Exit 0 when valid, 1 when not.
 * @module
 */
import type { Readable } from 'node:stream';
import {
  RotorTreeError,
  bytesEqual,
  decodeInclusionProof,
  generateConsistencyProof,
  inclusionProofFromJSON,
  toHex,
  verifyConsistencyProof,
  verifyProof,
} from '@rotortree/core';
import type { Hasher, InclusionProof } from '@rotortree/core';
import { blake3 } from '@rotortree/hasher-blake3';
import type { Command } from '../command.js';
import { intOption, parseInteger, parseNode, usage } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { inputSource } from '../input.js';
import { withFollower } from '../tree.js';

/**
 * Largest proof input taken, in bytes: the largest proof there is (n = 256, 53 levels) is ~0.9 MB as
 * JSON and ~0.43 MB binary, so anything larger is refused before more of it is read.
 */
export const MAX_PROOF_INPUT = 2 * 1024 * 1024;

/** The bytes of the proof file at `path` (`-`: stdin), at most {@link MAX_PROOF_INPUT}. Throws `INVALID_PROOF`. */
async function readProofInput(path: string, stdin: Readable): Promise<Uint8Array> {
  const source = inputSource(path, stdin);
  const tooLarge = (): RotorTreeError =>
    new RotorTreeError('INVALID_PROOF', `${source.name} holds more than ${MAX_PROOF_INPUT} bytes: no proof is that large`, source.name === 'stdin' ? {} : { file: source.name });
  if (source.bytes !== undefined && source.bytes > MAX_PROOF_INPUT) throw tooLarge();
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source.stream) {
    total += chunk.length;
    if (total > MAX_PROOF_INPUT) throw tooLarge();
    parts.push(chunk);
  }
  return Buffer.concat(parts, total);
}

/** A proof in JSON (first non-blank byte `{`) or the binary encoding. Throws `INVALID_PROOF`. */
export function decodeProof(bytes: Uint8Array): InclusionProof {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 32 || bytes[i] === 9 || bytes[i] === 10 || bytes[i] === 13)) i++;
  if (bytes[i] === 123) {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new RotorTreeError('INVALID_PROOF', 'the proof file starts like JSON but does not parse');
    }
    return inclusionProofFromJSON(json);
  }
  return decodeInclusionProof(bytes);
}

/** What the verifier binds the proof to. */
interface Trusted {
  readonly root: Uint8Array;
  readonly size: number;
  readonly n: number;
}

/** `undefined` when valid, else why not. */
function check(hasher: Hasher, proof: InclusionProof, trusted: Trusted): string | undefined {
  if (proof.n !== trusted.n) return `the proof is for n=${proof.n}, the tree has n=${trusted.n}`;
  if (proof.treeSize !== trusted.size) return `the proof is for a tree of ${proof.treeSize} leaves, not ${trusted.size}`;
  if (!verifyProof(hasher, proof, trusted)) {
    return bytesEqual(proof.root, trusted.root) ? 'the path does not lead to the root' : 'the proof is for another root';
  }
  return undefined;
}

export const verifyCommand: Command = {
  name: 'verify',
  args: '<proof-file|->',
  positionals: [1, 1],
  summary: 'verify a proof (JSON or binary) against the tree in --dir, or --root, --size and --n; exit 1 if invalid',
  dir: 'optional',
  options: {
    root: { type: 'string', arg: 'hex', help: 'trusted root (with --size and --n, instead of --dir)' },
    size: { type: 'string', arg: 'leaves', help: 'trusted tree size (with --root and --n)' },
    n: { type: 'string', arg: 'n', help: 'trusted branching factor (with --root and --size; --dir binds its own)' },
    index: { type: 'string', arg: 'i', help: 'the leaf index the proof must be for' },
    leaf: { type: 'string', arg: 'hex', help: 'the leaf the proof must be for' },
  },
  async run(ctx) {
    const givenRoot = ctx.values['root'] as string | undefined;
    const givenSize = ctx.values['size'] as string | undefined;
    const standalone = givenRoot !== undefined || givenSize !== undefined;
    if (standalone && ctx.dir !== '') throw usage('give either --dir or --root and --size, not both');
    if (!standalone && ctx.dir === '') throw usage('verify needs --dir, or --root, --size and --n');
    if (standalone && (givenRoot === undefined || givenSize === undefined || ctx.values['n'] === undefined)) {
      throw usage('--root, --size and --n go together: a proof verified without a trusted size and n can pass off an inner node as a leaf');
    }
    const wantIndex = intOption(ctx, 'index', 0, Number.MAX_SAFE_INTEGER);
    const wantLeaf = ctx.values['leaf'] === undefined ? undefined : parseNode(String(ctx.values['leaf']), '--leaf');
    const file = ctx.positionals[0]!;
    const bytes = await readProofInput(file, ctx.out.io.stdin);
    const proof = decodeProof(bytes);

    let reason: string | undefined;
    let trustedRoot: Uint8Array;
    let trustedSize: number;
    if (standalone) {
      trustedRoot = parseNode(givenRoot!, '--root');
      trustedSize = parseInteger(givenSize!, '--size', 1, Number.MAX_SAFE_INTEGER);
      const n = intOption(ctx, 'n', 2, 256)!;
      reason = check(blake3(), proof, { root: trustedRoot, size: trustedSize, n });
    } else {
      if (ctx.values['n'] !== undefined) throw usage('--n goes with --root; the tree in --dir binds its own n');
      [trustedRoot, trustedSize, reason] = await withFollower(ctx.dir, async (tree) => {
        const snap = tree.snapshot();
        const root = snap.root;
        if (root === undefined) return [new Uint8Array(32), 0, 'the tree is empty'] as const;
        if (proof.treeSize > snap.size) return [root, snap.size, `the proof is for a tree of ${proof.treeSize} leaves, the tree has ${snap.size}`] as const;
        if (proof.treeSize === snap.size) return [root, snap.size, check(tree.hasher, proof, { root, size: snap.size, n: snap.n })] as const;
        // An older state: its root comes from a consistency proof checked against today's root.
        const consistency = generateConsistencyProof(snap, proof.treeSize, tree.hasher);
        if (!verifyConsistencyProof(tree.hasher, consistency, { newRoot: root, newSize: snap.size, oldSize: proof.treeSize, n: snap.n })) {
          throw new RotorTreeError('CORRUPTION', 'the tree is not consistent with its own earlier state');
        }
        return [consistency.oldRoot, proof.treeSize, check(tree.hasher, proof, { root: consistency.oldRoot, size: proof.treeSize, n: snap.n })] as const;
      });
    }
    if (reason === undefined && wantIndex !== undefined && proof.leafIndex !== wantIndex) reason = `the proof is for leaf ${proof.leafIndex}, not ${wantIndex}`;
    if (reason === undefined && wantLeaf !== undefined && !bytesEqual(proof.leaf, wantLeaf)) reason = 'the proof is for another leaf value';
    const info = {
      valid: reason === undefined,
      leafIndex: proof.leafIndex,
      treeSize: proof.treeSize,
      leaf: toHex(proof.leaf),
      root: toHex(trustedRoot),
      ...(reason === undefined ? {} : { reason }),
    };
    ctx.out.result(
      reason === undefined
        ? `valid: leaf ${proof.leafIndex} is in the tree of ${proof.treeSize} leaves with root ${info.root}`
        : `invalid: ${reason}`,
      info,
    );
    return reason === undefined ? EXIT.OK : EXIT.INVALID;
  },
};
