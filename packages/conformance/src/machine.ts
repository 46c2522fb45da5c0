/**
 * Simulated machines: a fault-injecting file system and a memory disk that the suite can power
 * off and reboot, with every random choice fixed by a seed.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryDisk } from '@rotortree/core';
import type { MemoryDisk } from '@rotortree/core';
import { createPrng, faultyFileSystem, nodeFileSystem } from '@rotortree/core/fs';
import type { CrashMode, FaultyFileSystem, Prng } from '@rotortree/core/fs';
import type { Machine } from './types.js';

/** A {@link Machine} the suite can crash. */
export interface SimulatedMachine extends Machine {
  readonly fs: FaultyFileSystem;
  readonly disk: MemoryDisk;
  /** The machine's random source (crash images of the memory disk). */
  readonly prng: Prng;
  /** True between {@link powerOff} and {@link reboot}. */
  readonly isOff: boolean;
  /**
   * The power goes now: every later file operation fails with `EIO`, every memory backend
   * instance dies. Unsynced data is kept as it was until {@link reboot} decides what survives.
   */
  powerOff(): void;
  /** The power goes right after file operation `op` (a later operation index fails). */
  powerOffAfterOp(op: number): void;
  /** Reboots after a power loss: keeps what `mode` keeps of the unsynced writes, drops the rest. */
  reboot(mode: CrashMode): void;
}

/** Root directory of every simulated machine. */
export const MACHINE_DIR = '/machine';

class SimMachine implements SimulatedMachine {
  readonly fs: FaultyFileSystem;
  readonly disk: MemoryDisk = memoryDisk();
  readonly dir = MACHINE_DIR;
  readonly real = false;
  readonly prng: Prng;
  #off = false;
  #diskCrashed = false;

  constructor(seed: number) {
    this.fs = faultyFileSystem({ seed });
    this.prng = createPrng(seed ^ 0x5bd1e995);
  }

  get isOff(): boolean {
    return this.#off || this.fs.isDown;
  }

  powerOff(): void {
    this.fs.setCrashAfterOp(this.fs.opCount);
    this.#crashDisk();
    this.#off = true;
  }

  powerOffAfterOp(op: number): void {
    this.fs.setCrashAfterOp(op);
  }

  reboot(mode: CrashMode): void {
    if (!this.#diskCrashed) this.#crashDisk();
    this.fs.crash(mode);
    this.#off = false;
    this.#diskCrashed = false;
  }

  #crashDisk(): void {
    const written = this.disk.walWritten.length;
    this.disk.crash({ keepUnsyncedRecords: written === 0 ? 0 : this.prng.below(written + 1) });
    this.#diskCrashed = true;
  }
}

/** A fresh simulated machine whose crash images follow `seed`. */
export function simulatedMachine(seed: number): SimulatedMachine {
  return new SimMachine(seed);
}

/** A machine on real files in a new temporary directory (removed by `remove`). */
export interface RealMachine extends Machine {
  remove(): void;
}

/** A {@link RealMachine}: the real file system, a fresh temporary directory, a memory disk for memory backends. */
export function realMachine(): RealMachine {
  const dir = mkdtempSync(join(tmpdir(), 'rotortree-conformance-'));
  return { fs: nodeFileSystem(), dir, disk: memoryDisk(), real: true, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
