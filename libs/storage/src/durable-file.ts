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

/**
 * Writes a small file durably under its final name: temp file in the same directory, written,
 * fdatasynced, renamed over the target. The caller syncs the directory. Returns the size.
 */
export async function writeFileDurably(target: string, chunks: Buffer[]): Promise<number> {
  const temp = path.join(path.dirname(target), `.${randomUUID()}.part`);
  const fd = fsSync.openSync(temp, 'wx', 0o640);
  let size = 0;
  try {
    size = writeAllSync(fd, chunks);
    await fdatasync(fd);
  } catch (error) {
    fsSync.closeSync(fd);
    fsSync.rmSync(temp, { force: true });
    throw error;
  }
  fsSync.closeSync(fd);
  try {
    fsSync.renameSync(temp, target);
  } catch (error) {
    fsSync.rmSync(temp, { force: true });
    throw error;
  }
  return size;
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
