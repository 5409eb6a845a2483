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

/** A temporary file written in order, flushed to disk before it is renamed into place. */
export class TempFileWriter {
  private handle?: fs.FileHandle;
  private size = 0;
  readonly path: string;

  constructor(dir: string) {
    this.path = path.join(dir, `${randomUUID()}.part`);
  }

  async open(): Promise<void> {
    this.handle = await fs.open(this.path, 'wx', 0o640);
  }

  async write(chunks: Buffer[]): Promise<void> {
    if (!this.handle) {
      throw new Error('temp file is not open');
    }
    let offset = 0;
    while (offset < chunks.length) {
      // writev takes at most IOV_MAX buffers; 512 keeps well under it.
      const batch = chunks.slice(offset, offset + 512);
      const expected = batch.reduce((sum, chunk) => sum + chunk.length, 0);
      const { bytesWritten } = await this.handle.writev(batch);
      if (bytesWritten !== expected) {
        await this.writeRest(batch, bytesWritten);
      }
      this.size += expected;
      offset += batch.length;
    }
  }

  /** fdatasync, then close: after this the bytes survive a crash (the name needs a directory sync). */
  async finish(): Promise<number> {
    if (!this.handle) {
      throw new Error('temp file is not open');
    }
    const handle = this.handle;
    this.handle = undefined;
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
    return this.size;
  }

  async discard(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
    await fs.rm(this.path, { force: true });
  }

  private async writeRest(batch: Buffer[], written: number): Promise<void> {
    const rest = Buffer.concat(batch).subarray(written);
    let done = 0;
    while (done < rest.length) {
      const { bytesWritten } = await this.handle!.write(rest, done);
      done += bytesWritten;
    }
  }
}
