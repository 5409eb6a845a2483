import { DatasetStructureCheck } from '../codec/dataset-structure';
import { DatasetEncoding } from '../codec/transfer-syntax';

/**
 * Where a data set too large to keep in memory goes: a temp file, written in order as the data
 * arrives. Writes go to the page cache and are flushed when the file is committed.
 */
export interface SpillFile {
  /** Appends to the file; throws when it cannot. */
  write(chunks: Buffer[]): void;
  /** Bytes in the file so far. */
  readonly size: number;
  discard(): Promise<void>;
}

/**
 * How much of a spilled data set's start is kept in memory to read its header from (it sits in the
 * first few KiB; a longer one is read back from the file).
 */
const SPILL_PREFIX_BYTES = 64 * 1024;

/** A received C-STORE data set: in memory when small, else in a temp file not yet flushed. */
export type ReceivedDataset =
  | { kind: 'memory'; chunks: Buffer[]; length: number }
  | { kind: 'spilled'; spill: SpillFile; prefix: Buffer; length: number; fileSize: number }
  | { kind: 'failed'; error: Error }
  /** Its structure is broken (cut short, unclosed sequence…): nothing of it is kept. */
  | { kind: 'malformed'; problem: string };

export interface StoreSinkOptions {
  /** Data sets up to this size stay in memory; larger ones spill to a temp file. */
  memoryLimit: number;
  /** Opens the temp file; throws when it cannot. */
  openSpill: () => SpillFile;
  /** How the data set is encoded (its transfer syntax), for checking its structure as it streams. */
  encoding: DatasetEncoding;
}

/**
 * Collects one C-STORE data set as its fragments arrive. Small data sets are kept as the fragments
 * (views of the PDUs, no copy); past memoryLimit everything goes to a temp file as it comes, so
 * memory per association stays bounded whatever the instance size, and the data is already in the
 * page cache when the last fragment arrives. Its structure is checked on the way (DatasetStructureCheck),
 * so a data set cut short is known when its last fragment arrives, without reading it back. A failure or
 * a broken structure is kept, and the rest of the data set is taken and dropped: it is answered as a
 * DIMSE status, never thrown.
 */
export class StoreSink {
  private chunks: Buffer[] = [];
  private length = 0;
  private spill?: SpillFile;
  private prefix?: Buffer;
  private failure?: Error;
  private readonly structure: DatasetStructureCheck;

  constructor(private readonly options: StoreSinkOptions) {
    this.structure = new DatasetStructureCheck(options.encoding);
  }

  write(chunk: Buffer): void {
    if (this.failure || this.structure.failure !== undefined) {
      return;
    }
    this.structure.push(chunk);
    if (this.structure.failure !== undefined) {
      this.drop();
      return;
    }
    if (!this.spill && this.length + chunk.length <= this.options.memoryLimit) {
      this.chunks.push(chunk);
      this.length += chunk.length;
      return;
    }
    try {
      if (!this.spill) {
        this.spill = this.options.openSpill();
        // What was kept is the start of the file, written as it is (no copy); its first bytes are the prefix.
        this.prefix = leading(this.chunks, SPILL_PREFIX_BYTES);
        this.spill.write([...this.chunks, chunk]);
        this.chunks = [];
      } else {
        this.spill.write([chunk]);
      }
      this.length += chunk.length;
    } catch (error) {
      this.failure = error as Error;
      this.drop();
    }
  }

  /** What arrived, once the last fragment has been written. */
  result(): ReceivedDataset {
    if (this.failure) {
      return { kind: 'failed', error: this.failure };
    }
    const problem = this.structure.end();
    if (problem !== undefined) {
      this.drop();
      return { kind: 'malformed', problem };
    }
    if (this.spill && this.prefix) {
      return {
        kind: 'spilled',
        spill: this.spill,
        prefix: this.prefix,
        length: this.length,
        fileSize: this.spill.size,
      };
    }
    return { kind: 'memory', chunks: this.chunks, length: this.length };
  }

  /** Lets go of what was kept of a data set that will not be stored. */
  private drop(): void {
    this.chunks = [];
    // A temp file left by a failed discard is cleared at the next start-up.
    this.abandon().catch(() => undefined);
  }

  /** Discards the temp file of a data set that will never be stored (association ended mid-instance). */
  async abandon(): Promise<void> {
    const spill = this.spill;
    this.spill = undefined;
    await spill?.discard();
  }
}

/** The first `bytes` of chunks (fewer if there are fewer): a view of the first chunk when it holds them. */
function leading(chunks: Buffer[], bytes: number): Buffer {
  if (chunks.length === 0) {
    return Buffer.alloc(0);
  }
  if (chunks[0].length >= bytes || chunks.length === 1) {
    return chunks[0].subarray(0, bytes);
  }
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  return Buffer.concat(chunks, Math.min(bytes, total));
}
