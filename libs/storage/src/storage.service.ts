import { Inject, Injectable, Logger } from '@nestjs/common';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import { existsSync, promises as fs, renameSync } from 'node:fs';
import * as path from 'node:path';
import { DirectorySyncer, TempFileReserve, TempFileWriter } from './durable-file';
import { InstanceLocation, instanceRelativePath } from './storage-paths';

/** Every file path and durable write of the hub. Files are written to a temp name, fsynced, renamed. */
@Injectable()
export class StorageService {
  private readonly logger = new Logger(StorageService.name);
  private readonly root: string;
  private readonly tempDir: string;
  private readonly knownDirs = new Set<string>();
  private readonly dirSyncer = new DirectorySyncer();

  constructor(@Inject(HUB_CONFIG) config: HubConfig) {
    this.root = path.resolve(config.hub.storageDir);
    this.tempDir = path.join(this.root, 'tmp');
  }

  get rootDir(): string {
    return this.root;
  }

  /** Creates the storage layout and clears temp files left by a crash (never acknowledged). */
  async prepare(): Promise<void> {
    await fs.mkdir(this.tempDir, { recursive: true });
    const leftovers = await fs.readdir(this.tempDir);
    await Promise.all(leftovers.map((name) => fs.rm(path.join(this.tempDir, name), { force: true })));
    if (leftovers.length > 0) {
      this.logger.warn(`removed ${leftovers.length} unfinished temp file(s) from ${this.tempDir}`);
    }
  }

  instancePath(location: InstanceLocation): string {
    return instanceRelativePath(location);
  }

  absolute(relativePath: string): string {
    return path.join(this.root, relativePath);
  }

  /** Temp files for one association's instances; commit each with commitTempFile, release at the end. */
  tempFileReserve(): TempFileReserve {
    return new TempFileReserve(this.tempDir);
  }

  /**
   * Writes chunks through a temp file, flushed and renamed to relativePath (replacing any earlier file
   * atomically); the new name is durable once syncDirectoryOf(relativePath) resolves. Returns the size.
   */
  async placeFile(relativePath: string, chunks: Buffer[], tempFiles: TempFileReserve): Promise<number> {
    const writer = tempFiles.take();
    try {
      writer.write(chunks);
    } catch (error) {
      await writer.discard().catch(() => undefined);
      throw error;
    }
    await this.placeTempFile(writer, relativePath);
    return writer.size;
  }

  /**
   * Flushes a temp file and renames it to relativePath; the new name is durable once
   * syncDirectoryOf(relativePath) resolves. A temp file that cannot be flushed or renamed is removed.
   */
  async placeTempFile(writer: TempFileWriter, relativePath: string): Promise<void> {
    const target = this.absolute(relativePath);
    const dir = path.dirname(target);
    try {
      await writer.finish();
      await this.ensureDir(dir);
      await this.inDir(dir, () => Promise.resolve(renameSync(writer.path, target)));
    } catch (error) {
      await writer.discard().catch(() => undefined);
      throw error;
    }
  }

  /** Makes the names placed in relativePath's directory durable (syncs into one directory are shared). */
  async syncDirectoryOf(relativePath: string): Promise<void> {
    await this.dirSyncer.sync(path.dirname(this.absolute(relativePath)));
  }

  exists(relativePath: string): boolean {
    return existsSync(this.absolute(relativePath));
  }

  async remove(relativePath: string): Promise<void> {
    await fs.rm(this.absolute(relativePath), { force: true });
  }

  async readHead(absolutePath: string, maxBytes: number): Promise<Buffer> {
    const handle = await fs.open(absolutePath, 'r');
    try {
      const buffer = Buffer.alloc(maxBytes);
      const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  /** Runs fn in a directory known to exist; if something removed it since (a purge), recreates it once. */
  private async inDir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw error;
      }
      this.knownDirs.delete(dir);
      await this.ensureDir(dir);
      return fn();
    }
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) {
      return;
    }
    await fs.mkdir(dir, { recursive: true });
    this.knownDirs.add(dir);
  }
}
