import { Writable } from 'node:stream';

/** Where a data set too large to keep in memory goes: a temp file, written in order and fsynced. */
export interface SpillFile {
  write(chunks: Buffer[]): Promise<void>;
  /** Flushes to disk and closes; resolves with the file's size in bytes. */
  finish(): Promise<number>;
  discard(): Promise<void>;
}

/** A received C-STORE data set: in memory when small, else in a durable temp file. */
export type ReceivedDataset =
  | { kind: 'memory'; chunks: Buffer[]; length: number }
  | { kind: 'spilled'; spill: SpillFile; prefix: Buffer; length: number; fileSize: number }
  | { kind: 'failed'; error: Error };

export interface StoreSinkOptions {
  /** Data sets up to this size stay in memory; larger ones spill to a temp file. */
  memoryLimit: number;
  openSpill: () => Promise<SpillFile>;
  /** Called when buffered bytes pass the high-water mark, and again when they drain. */
  onPressure: (paused: boolean) => void;
  highWaterMark: number;
}

/**
 * The writable dcmjs-dimse streams a C-STORE data set into (its store-writable hook). Small data
 * sets are kept as the PDV chunks that arrived (no copy); past memoryLimit everything goes to a
 * temp file, so memory per association stays bounded whatever the instance size. The library never
 * pauses its socket, so the sink reports pressure and the SCP pauses the socket itself.
 */
export class StoreSink extends Writable {
  private chunks: Buffer[] = [];
  private length = 0;
  private spill?: SpillFile;
  private prefix?: Buffer;
  private fileSize = 0;
  private failure?: Error;
  private paused = false;

  constructor(private readonly options: StoreSinkOptions) {
    super({ highWaterMark: options.highWaterMark });
    this.on('drain', () => this.setPaused(false));
    // A failed write is kept and answered as a DIMSE status (result() says 'failed'); dcmjs-dimse
    // listens for no stream errors, so an unhandled 'error' would otherwise end the process.
    this.on('error', () => undefined);
  }

  override write(chunk: Buffer, ...rest: unknown[]): boolean {
    const ok = super.write(chunk, ...(rest as [BufferEncoding]));
    // A failed sink takes the rest of the data set and drops it: pausing would stall the association.
    if (!ok && !this.destroyed) {
      this.setPaused(true);
    }
    return ok;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }

  override _writev(items: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    const incoming = items.map((item) => item.chunk);
    const incomingLength = incoming.reduce((sum, chunk) => sum + chunk.length, 0);
    if (!this.spill && this.length + incomingLength <= this.options.memoryLimit) {
      this.chunks.push(...incoming);
      this.length += incomingLength;
      callback();
      return;
    }
    this.writeToSpill(incoming, incomingLength).then(
      () => callback(),
      (error: Error) => {
        this.failure = error;
        callback(error);
      },
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.spill) {
      callback();
      return;
    }
    this.spill.finish().then(
      (size) => {
        this.fileSize = size;
        callback();
      },
      (error: Error) => {
        this.failure = error;
        callback(error);
      },
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.setPaused(false);
    const spill = this.spill;
    if (error && spill) {
      this.spill = undefined;
      spill.discard().then(
        () => callback(error),
        () => callback(error),
      );
      return;
    }
    callback(error);
  }

  /** What arrived; call once the stream has finished (or failed). */
  result(): ReceivedDataset {
    const failure = this.failure ?? this.errored;
    if (failure) {
      return { kind: 'failed', error: failure };
    }
    if (this.spill && this.prefix) {
      return { kind: 'spilled', spill: this.spill, prefix: this.prefix, length: this.length, fileSize: this.fileSize };
    }
    return { kind: 'memory', chunks: this.chunks, length: this.length };
  }

  /** Discards a spilled temp file that was never committed (association aborted mid-instance). */
  async abandon(): Promise<void> {
    const spill = this.spill;
    this.spill = undefined;
    await spill?.discard();
  }

  private async writeToSpill(incoming: Buffer[], incomingLength: number): Promise<void> {
    if (!this.spill) {
      this.spill = await this.options.openSpill();
      // What was buffered becomes the prefix the header is read from, and the start of the file.
      this.prefix = Buffer.concat(this.chunks, this.length);
      this.chunks = [];
      await this.spill.write([this.prefix, ...incoming]);
    } else {
      await this.spill.write(incoming);
    }
    this.length += incomingLength;
  }

  private setPaused(paused: boolean): void {
    if (this.paused !== paused) {
      this.paused = paused;
      this.options.onPressure(paused);
    }
  }
}
