import { describe, expect, it } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LeanIMT, toHex, verifyProof, verifyProofs } from '@rotortree/core';
import type { Hasher } from '@rotortree/core';
import * as browser from '../src/browser.js';
import { blake3 } from '../src/index.js';

/** Every module reachable from `entry` through relative imports, and the bare specifiers they import. */
function importGraph(entry: string): { files: string[]; bare: Set<string> } {
  const files: string[] = [];
  const bare = new Set<string>();
  const todo = [entry];
  const seen = new Set<string>();
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    files.push(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec));
      else bare.add(spec);
    }
    if (/\bcreateRequire\b|\brequire\(/.test(source)) bare.add(`require() in ${file}`);
  }
  return { files, bare };
}

const here = dirname(fileURLToPath(import.meta.url));

describe('the browser entry (export condition "browser")', () => {
  it('gives the WASM kernel, refuses the native one, and gives the same roots as the Node entry', () => {
    const hasher = browser.blake3();
    expect(hasher.backend).toBe('wasm');
    expect(browser.availableBackends()).toEqual(['wasm', 'js']);
    expect(() => browser.blake3({ backend: 'native' })).toThrow(RangeError);
    for (const n of [2, 4, 7]) {
      const leaves = new Uint8Array(500 * 32).map((_, i) => (i * 13 + n) & 255);
      const a = new LeanIMT({ hasher, n, maxDepth: 12 });
      const b = new LeanIMT({ hasher: blake3({ backend: 'js' }), n, maxDepth: 12 });
      a.insertMany(leaves);
      b.insertMany(leaves);
      expect(toHex(a.root!)).toBe(toHex(b.root!));
    }
  });

  it('imports no Node module: its whole graph, and core\'s tree, proofs and engine', () => {
    const entry = resolve(here, '../dist/browser.js');
    expect(existsSync(entry)).toBe(true);
    const ours = importGraph(entry);
    expect(ours.files.length).toBeGreaterThan(3);
    const allowed = new Set(['@noble/hashes/blake3.js', '@rotortree/core']);
    expect([...ours.bare].filter((spec) => !allowed.has(spec))).toEqual([]);
    expect(ours.bare.has('@noble/hashes/blake3.js')).toBe(true); // the scan does see bare imports
    const coreEntry = resolve(here, '../node_modules/@rotortree/core/dist/index.js');
    const core = importGraph(coreEntry);
    expect(core.files.length).toBeGreaterThan(10);
    expect([...core.bare]).toEqual([]);
  });

  it('verifies proofs with one call into the WASM kernel per proof (per batch), none per level', () => {
    const wasm = browser.blake3();
    let groupCalls = 0;
    let climbCalls = 0;
    const counted: Hasher = {
      id: wasm.id,
      hashGroup: (...args) => {
        groupCalls++;
        wasm.hashGroup(...args);
      },
      hashGroups: wasm.hashGroups,
      bindClimb: (paths) => {
        const climb = wasm.bindClimb!(paths);
        return (input, count) => {
          climbCalls++;
          climb(input, count);
        };
      },
    };
    const tree = new LeanIMT({ hasher: wasm, n: 4, maxDepth: 12 });
    tree.insertMany(new Uint8Array(777 * 32).map((_, i) => (i * 3) & 255));
    const snap = tree.snapshot();
    const trusted = { root: snap.root!, size: 777, n: 4 };
    for (const i of [0, 1, 400, 776]) expect(verifyProof(counted, snap.generateProof(i), trusted)).toBe(true);
    expect(climbCalls).toBe(4);
    expect(verifyProofs(counted, snap.generateProofs([5, 6, 7]), trusted)).toEqual([true, true, true]);
    expect(climbCalls).toBe(5);
    expect(groupCalls).toBe(0);
    const wrong = snap.generateProof(9).toObject();
    wrong.leaf[0]! ^= 1;
    expect(verifyProof(counted, wrong, trusted)).toBe(false);
  });
});
