/**
 * `rotortree prove <index>`: the inclusion proof of a leaf, as JSON or in the compact binary encoding.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { RotorTreeError, encodeInclusionProof, generateProof, inclusionProofToJSON } from '@rotortree/core';
import type { Command } from '../command.js';
import { grouped, parseInteger, usage } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { checkOutputFile } from '../paths.js';
import { withFollower } from '../tree.js';

export const proveCommand: Command = {
  name: 'prove',
  args: '<index>',
  positionals: [1, 1],
  summary: 'print the inclusion proof of leaf <index> as JSON (--binary: the compact encoding)',
  dir: 'required',
  options: {
    binary: { type: 'boolean', help: 'write the compact binary encoding instead of JSON' },
    out: { type: 'string', arg: 'file', help: 'write the proof to <file> instead of stdout' },
  },
  async run(ctx) {
    const index = parseInteger(ctx.positionals[0]!, '<index>', 0, Number.MAX_SAFE_INTEGER);
    const binary = ctx.values['binary'] === true;
    const outFile = ctx.values['out'] as string | undefined;
    if (binary && outFile === undefined && ctx.out.io.stdout.isTTY === true) {
      throw usage('refusing to write binary to a terminal: redirect stdout or use --out <file>');
    }
    if (outFile !== undefined) checkOutputFile(outFile, '--out');
    const proof = await withFollower(ctx.dir, async (tree) => {
      const snap = tree.snapshot();
      if (index >= snap.size) {
        const has = snap.size === 0 ? 'the tree is empty' : `the tree has ${grouped(snap.size)} leaves (indexes 0..${grouped(snap.size - 1)})`;
        throw new RotorTreeError('INDEX_OUT_OF_RANGE', `no leaf ${grouped(index)}: ${has}`);
      }
      return generateProof(snap, index);
    });
    const bytes = binary
      ? encodeInclusionProof(proof)
      : new TextEncoder().encode(`${JSON.stringify(inclusionProofToJSON(proof), null, ctx.out.flags.json ? undefined : 2)}\n`);
    if (outFile !== undefined) {
      try {
        writeFileSync(outFile, bytes);
      } catch (err) {
        throw new RotorTreeError('IO', `cannot write ${outFile}`, { file: outFile, cause: err });
      }
      ctx.out.result(`wrote the proof of leaf ${index} (tree of ${proof.treeSize} leaves, ${bytes.length} bytes) to ${outFile}`, {
        leafIndex: index,
        treeSize: proof.treeSize,
        file: outFile,
        bytes: bytes.length,
        format: binary ? 'binary' : 'json',
      });
    } else {
      ctx.out.io.stdout.write(bytes);
    }
    return EXIT.OK;
  },
};
