/**
 * The capability manifest: what the backends claim (`supports` on each instance) merged with what
 * the author declares. The suite skips every group a combination does not claim.
 * @module
 */
import { simulatedMachine } from './machine.js';
import type { BackendUnderTest, Capabilities } from './types.js';

/**
 * Builds the backends once on a throwaway simulated machine (nothing is opened) to read their
 * `supports`, and merges them with `backend.supports`.
 */
export async function resolveCapabilities(backend: BackendUnderTest): Promise<Capabilities> {
  const machine = simulatedMachine(0);
  const wal = await backend.wal(machine);
  const store = backend.checkpoints === undefined ? undefined : await backend.checkpoints(machine);
  const declared = backend.supports ?? {};
  const crashSimulation = declared.crashSimulation ?? 'fs';
  const net = backend.network;
  return {
    durable: wal.supports.durable && (store?.supports.durable ?? true),
    crashSimulation,
    locking: declared.locking ?? 'instance',
    corruptionDetection: crashSimulation === 'fs' && declared.corruptionDetection === true,
    fsyncFailure: crashSimulation === 'fs' && (declared.fsyncFailure ?? true),
    mmap: declared.mmap === true,
    checkpoints: store !== undefined,
    followers: backend.walReader !== undefined,
    network: {
      proxy: net !== undefined,
      serverKill: net?.controller !== undefined,
      standby: net?.controller?.standby !== undefined,
      damage: net?.damageRecord !== undefined,
      foreignRecords: net?.copyRecords !== undefined,
    },
  };
}

/** Names of the groups a combination runs, for reports. */
export function groupsFor(caps: Capabilities): string[] {
  const groups = ['treeRules', 'proofs', 'lifecycle', 'badInput'];
  if (caps.crashSimulation !== false) groups.push('durability');
  if (caps.crashSimulation !== false && caps.checkpoints) groups.push('checkpoints');
  if (caps.fsyncFailure) groups.push('poison');
  if (caps.locking !== false) groups.push('locking');
  if (caps.corruptionDetection) groups.push('corruption');
  if (caps.crashSimulation !== false) groups.push('lostFiles', 'foreignFiles');
  if (caps.checkpoints && caps.corruptionDetection) groups.push('checkpointReads');
  if (caps.locking === 'process') groups.push('lockRemoval');
  if (caps.followers && caps.crashSimulation !== false) groups.push('followers');
  if (caps.corruptionDetection && caps.crashSimulation === 'fs') groups.push('hugeTails');
  if (caps.network.proxy) groups.push('partition', 'fencing', 'networkIdentity');
  if (caps.network.serverKill) groups.push('serverKill');
  if (caps.network.standby) groups.push('standbyDown');
  if (caps.network.damage) groups.push('damagedRecords');
  return groups;
}
