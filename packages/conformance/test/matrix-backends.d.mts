import type { BackendUnderTest } from '../src/index.js';
export interface Combination {
  readonly wal: 'memory' | 'fs';
  readonly store: 'none' | 'memory' | 'mmap' | 'pread';
  readonly hasher: 'native' | 'wasm' | 'js';
  readonly n: number;
}
export const hasCheckpointMmap: boolean;
export function matrixCombinations(): Combination[];
export function backendFor(c: Combination): BackendUnderTest;
