import { randomUUID } from 'node:crypto';
import * as fsSync from 'node:fs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

// Only the flushes go through libuv's thread pool. The small metadata calls around them (open,
// write to the page cache, close, rename) take microseconds done in place, where each pool round
// trip costs a tenth of a millisecond or more on a busy receiver: per instance, that is most of
// the budget.
const fdatasync = promisify(fsSync.fdatasync);
const fsync = promisify(fsSync.fsync);

/**
 * Directory fsyncs coalesced per directory: renames that land while a sync is running share the
 * next one, so parallel associations writing into one study pay for one fsync, not one each.
 */
export class DirectorySyncer {
  private readonly pending = new Map<string, { running: Promise<void>; next?: Promise<void> }>();

  sync(dir: string): Promise<void> {
    const state = this.pending.get(dir);
    if (!state) {
      const running = syncDirectory(dir).finally(() => this.advance(dir));
      this.pending.set(dir, { running });
      return running;
    }
    if (!state.next) {
      state.next = state.running.then(
        () => syncDirectory(dir),
        () => syncDirectory(dir),
      );
    }
    return state.next;
  }

  private advance(dir: string): void {
    const state = this.pending.get(dir);
    if (!state?.next) {
      this.pending.delete(dir);
      return;
    }
    const running = state.next.finally(() => this.advance(dir));
    this.pending.set(dir, { running });
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const fd = fsSync.openSync(dir, 'r');
  try {
    await fsync(fd);
  } finally {
    fsSync.closeSync(fd);
  }
}

/** Writes every byte of chunks at the file's current position (writev takes at most IOV_MAX buffers). */
function writeAllSync(fd: number, chunks: Buffer[]): number {
  let size = 0;
  for (let offset = 0; offset < chunks.length; offset += 512) {
    const batch = chunks.slice(offset, offset + 512);
    const expected = batch.reduce((sum, chunk) => sum + chunk.length, 0);
    let written = fsSync.writevSync(fd, batch);
    if (written < expected) {
      const rest = Buffer.concat(batch).subarray(written);
      while (written < expected) {
        written += fsSync.writeSync(fd, rest, written - (expected - rest.length));
      }
    }
    size += expected;
  }
  return size;
}

/**
 * A temporary file written in order as an instance arrives, flushed to disk before it is renamed
 * into place. Writing (to the page cache) happens in place: through the thread pool it lagged behind
 * the network by a millisecond or more per instance; only the flush goes to the pool.
 */
export class TempFileWriter {
  private written = 0;

  private constructor(
    readonly path: string,
    private fd: number | undefined,
  ) {}

  /** Creates a temp file in dir, in place. */
  static createSync(dir: string): TempFileWriter {
    const file = path.join(dir, `${randomUUID()}.part`);
    return new TempFileWriter(file, fsSync.openSync(file, 'wx', 0o640));
  }

  /** Creates a temp file in dir through the thread pool, for use later. */
  static create(dir: string): Promise<TempFileWriter> {
    const file = path.join(dir, `${randomUUID()}.part`);
    return new Promise((resolve, reject) =>
      fsSync.open(file, 'wx', 0o640, (error, fd) => (error ? reject(error) : resolve(new TempFileWriter(file, fd)))),
    );
  }

  get size(): number {
    return this.written;
  }

  write(chunks: Buffer[]): void {
    if (this.fd === undefined) {
      throw new Error('temp file is not open');
    }
    this.written += writeAllSync(this.fd, chunks);
  }

  /** fdatasync, then close: after this the bytes survive a crash (the name needs a directory sync). */
  async finish(): Promise<number> {
    const fd = this.fd;
    if (fd === undefined) {
      throw new Error('temp file is not open');
    }
    this.fd = undefined;
    try {
      await fdatasync(fd);
    } finally {
      fsSync.closeSync(fd);
    }
    return this.written;
  }

  async discard(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) {
      try {
        fsSync.closeSync(fd);
      } catch {
        // Closing is all that was left to do with it.
      }
    }
    await fs.rm(this.path, { force: true });
  }
}

/**
 * Temp files created ahead for one association. Creating a file costs 0.3–1.5 ms on the test
 * machine (more while the journal commits another flush), and every instance needs one: the reserve
 * keeps one ready, created through the thread pool while the previous instance is received or
 * flushed, so taking it costs nothing. Release it when the association ends: nothing stays behind.
 */
export class TempFileReserve {
  private spare?: TempFileWriter;
  private making?: Promise<void>;
  private released = false;

  constructor(private readonly dir: string) {}

  /** An open temp file: the spare when one is ready, else a new one (throws when it cannot). */
  take(): TempFileWriter {
    const spare = this.spare;
    this.spare = undefined;
    const writer = spare ?? this.createInPlace();
    this.replenish();
    return writer;
  }

  private createInPlace(): TempFileWriter {
    try {
      return TempFileWriter.createSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw error;
      }
      // The process's temp folder was removed under it (by hand, or storage recreated): make it again.
      fsSync.mkdirSync(this.dir, { recursive: true });
      return TempFileWriter.createSync(this.dir);
    }
  }

  /** Resolves once a spare being made is ready (or could not be made). */
  async whenReady(): Promise<void> {
    await this.making;
  }

  /** Removes the spare; the reserve makes no more. */
  async release(): Promise<void> {
    this.released = true;
    await this.making;
    const spare = this.spare;
    this.spare = undefined;
    await spare?.discard();
  }

  private replenish(): void {
    if (this.released || this.making || this.spare) {
      return;
    }
    // A spare that cannot be made is not an error: the next take() creates in place, and reports.
    this.making = TempFileWriter.create(this.dir).then(
      (writer) => {
        this.making = undefined;
        if (this.released) {
          return writer.discard();
        }
        this.spare = writer;
      },
      () => {
        this.making = undefined;
      },
    );
  }
}
