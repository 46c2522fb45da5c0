/**
 * `memoryWalReader`: a {@link WalReader} of a {@link MemoryDisk}'s log, for followers in tests and in
 * one process: it sees the records the writer made durable, and the writer's last mark.
 * @module
 */
import { RotorTreeError } from '../../errors.js';
import { assertTreeConfig, checkStoredTree } from '../tree-identity.js';
import type { WalConfig, WalOpened } from '../wal.js';
import type { WalReadResult, WalReader } from '../wal-reader.js';
import type { MemoryDisk } from './memory-disk.js';

const FILE = 'memory-wal';

class MemoryWalReader implements WalReader {
  readonly location = FILE;
  readonly #disk: MemoryDisk;
  #config: WalConfig | undefined;

  constructor(disk: MemoryDisk) {
    this.#disk = disk;
  }

  async open(config: WalConfig): Promise<WalOpened> {
    assertTreeConfig(config);
    this.#config = { n: config.n, maxDepth: config.maxDepth, hasherId: config.hasherId };
    const header = this.#disk.walHeader;
    if (header !== undefined) checkStoredTree(header, this.#config, FILE);
    return { treeId: header?.treeId, location: FILE, baseSeq: header?.baseSeq ?? 0 };
  }

  async read(options: Parameters<WalReader['read']>[0]): Promise<WalReadResult> {
    const config = this.#config;
    if (config === undefined) throw new TypeError('read() needs open() first');
    const header = this.#disk.walHeader;
    if (header === undefined) throw new RotorTreeError('CORRUPTION', `${FILE} is missing`, { file: FILE });
    checkStoredTree(header, { ...config, treeId: options.treeId }, FILE);
    const records = this.#disk.walDurable;
    const last = records.length === 0 ? header.baseSeq : records[records.length - 1]!.seq;
    const mark = this.#disk.walMark;
    const marks = mark === undefined ? [] : [mark];
    if (header.baseSeq > options.afterSeq) return { lastSeq: options.afterSeq, durableSeq: last, gone: true, marks };
    let handed = options.afterSeq;
    for (const record of records) {
      if (record.seq <= options.afterSeq) continue;
      options.visit(record.seq, record.leaves);
      handed = record.seq;
    }
    return { lastSeq: handed, durableSeq: last, gone: false, marks };
  }

  async close(): Promise<void> {}
}

/** A reader of the log on `disk` (see {@link WalReader}); it takes no lock. */
export function memoryWalReader(options: { readonly disk: MemoryDisk }): WalReader {
  return new MemoryWalReader(options.disk);
}
