import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import { existsSync, promises as fs, renameSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { DirectorySyncer, TempFileReserve, TempFileWriter } from './durable-file';
import { InstanceLocation, instanceRelativePath } from './storage-paths';
import { OwnTempDir, ownTempDirName, sweepOrphanTempDirs, touchTempDir } from './temp-dirs';

/** How often a process touches its temp folder and looks for orphans. */
const TEMP_HEARTBEAT_MS = 60_000;
/** A temp folder untouched this long belongs to a process that is gone (another host, or a previous boot). */
export const TEMP_ORPHAN_GRACE_MS = 10 * 60_000;

/** A file put in place: its size, and when its bytes and name survive a crash. */
export interface PlacedFile {
  size: number;
  durable: Promise<void>;
}

/** Every file path and durable write of the hub. Files are written to a temp name, renamed, fsynced. */
@Injectable()
export class StorageService implements OnModuleDestroy {
  private readonly logger = new Logger(StorageService.name);
  private readonly root: string;
  private readonly tempRoot: string;
  private readonly ownTemp: OwnTempDir;
  /** This process's own temp folder (see temp-dirs.ts). */
  readonly tempDir: string;
  private heartbeat?: NodeJS.Timeout;
  private readonly knownDirs = new Set<string>();
  private readonly dirSyncer = new DirectorySyncer();

  constructor(@Inject(HUB_CONFIG) config: HubConfig) {
    this.root = path.resolve(config.hub.storageDir);
    this.tempRoot = path.join(this.root, 'tmp');
    this.ownTemp = ownTempDirName();
    this.tempDir = path.join(this.tempRoot, this.ownTemp.name);
  }

  get rootDir(): string {
    return this.root;
  }

  /**
   * Creates the storage layout and this process's own temp folder, removes the temp folders of
   * processes that are gone (never acknowledged), and from then on keeps its own folder marked live.
   * Other processes' folders are left alone, so restarting one app never fails another's transfers.
   */
  async prepare(): Promise<void> {
    await fs.mkdir(this.tempDir, { recursive: true });
    await this.sweepTemp();
    this.heartbeat ??= setInterval(() => {
      touchTempDir(this.tempDir)
        .then(() => this.sweepTemp())
        .catch((error: Error) => this.logger.warn(`temp folder upkeep failed: ${error.message}`));
    }, TEMP_HEARTBEAT_MS).unref();
  }

  /** Stops the heartbeat; leaves the own temp folder to the next sweep unless it is empty. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    await fs.rmdir(this.tempDir).catch(() => undefined);
  }

  /** Folders of temp files of processes that are gone: removed, by whichever process finds them first. */
  async sweepTemp(): Promise<string[]> {
    const { removed } = await sweepOrphanTempDirs(this.tempRoot, this.ownTemp, TEMP_ORPHAN_GRACE_MS);
    if (removed.length > 0) {
      this.logger.warn(`removed ${removed.length} temp folder(s) of processes that are gone from ${this.tempRoot}`);
    }
    return removed;
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
   * Writes chunks through a temp file put in place under relativePath; see placeTempFile. Returns the
   * file's size and when it is durable.
   */
  async placeFile(
    relativePath: string,
    chunks: Buffer[],
    tempFiles: TempFileReserve,
    options: { replacing: boolean },
  ): Promise<PlacedFile> {
    const writer = tempFiles.take();
    try {
      writer.write(chunks);
    } catch (error) {
      await writer.discard().catch(() => undefined);
      throw error;
    }
    return this.placeTempFile(writer, relativePath, options);
  }

  /**
   * Puts a written temp file in place under relativePath. A new name is taken at once, from the page
   * cache, and the flushes that make it durable (the file's fdatasync, the directory's fsync) run
   * while the caller commits its row: the disk serves them alongside the database's. A file that
   * replaces one already there is flushed first, so a crash never leaves the old name on bytes that
   * were not yet on disk. On failure the temp file is removed; a file already renamed into place whose
   * flush fails is the caller's to remove (it knows whether it replaced one).
   */
  async placeTempFile(
    writer: TempFileWriter,
    relativePath: string,
    options: { replacing: boolean },
  ): Promise<PlacedFile> {
    const target = this.absolute(relativePath);
    const dir = path.dirname(target);
    const rename = () => Promise.resolve(renameSync(writer.path, target));
    try {
      if (options.replacing) {
        await writer.finish();
      }
      await this.ensureDir(dir);
      await this.inDir(dir, rename);
    } catch (error) {
      await writer.discard().catch(() => undefined);
      throw error;
    }
    const flushed = options.replacing ? Promise.resolve() : writer.finish().then(() => undefined);
    const durable = Promise.all([flushed, this.dirSyncer.sync(dir)]).then(() => undefined);
    // Awaited by the caller; never an unhandled rejection if it gave up first.
    durable.catch(() => undefined);
    return { size: writer.size, durable };
  }

  exists(relativePath: string): boolean {
    return existsSync(this.absolute(relativePath));
  }

  /** The file's size in bytes; undefined when there is no file. */
  sizeOf(relativePath: string): number | undefined {
    return statSync(this.absolute(relativePath), { throwIfNoEntry: false })?.size;
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
