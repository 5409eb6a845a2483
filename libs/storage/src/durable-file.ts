import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

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
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
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
