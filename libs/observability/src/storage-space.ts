import { Inject, Injectable } from '@nestjs/common';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** How long one statfs answer stands: a busy receiver asks for every instance. */
export const FREE_SPACE_CACHE_MS = 1000;

export interface FreeSpace {
  freeBytes: number;
  floorBytes: number;
  /** Free space is at or below the configured floor: stores are refused (0xA700) and readiness fails. */
  belowFloor: boolean;
}

/** Free space as the storage directory's file system reports it to an unprivileged writer (statfs bavail). */
export function freeSpaceOf(stats: { bavail: number; bsize: number }, floorBytes: number): FreeSpace {
  const freeBytes = stats.bavail * stats.bsize;
  return { freeBytes, floorBytes, belowFloor: floorBytes > 0 && freeBytes <= floorBytes };
}

/**
 * Watches the storage directory's free space against `storage.minFreeMegabytes`. The answer is cached for
 * about a second and one statfs runs at a time, so checking before each C-STORE costs next to nothing.
 */
@Injectable()
export class StorageSpaceMonitor {
  private readonly root: string;
  private readonly floorBytes: number;
  private cached?: { at: number; value: FreeSpace };
  private pending?: Promise<FreeSpace>;

  constructor(@Inject(HUB_CONFIG) config: HubConfig) {
    this.root = path.resolve(config.hub.storageDir);
    this.floorBytes = config.storage.minFreeMegabytes * 1024 * 1024;
  }

  get directory(): string {
    return this.root;
  }

  /** Free space now (at most FREE_SPACE_CACHE_MS old); rejects when the directory cannot be read. */
  async freeSpace(): Promise<FreeSpace> {
    if (this.cached && Date.now() - this.cached.at < FREE_SPACE_CACHE_MS) {
      return this.cached.value;
    }
    this.pending ??= fs
      .statfs(this.root)
      .then((stats) => {
        const value = freeSpaceOf(stats, this.floorBytes);
        this.cached = { at: Date.now(), value };
        return value;
      })
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** The directory takes a new file: one is written, flushed and removed (a read-only or full disk fails here). */
  async probeWritable(): Promise<void> {
    const probe = path.join(this.root, `.ready-probe-${process.pid}`);
    const handle = await fs.open(probe, 'w');
    try {
      await handle.writeFile('ready\n');
      await handle.sync();
    } finally {
      await handle.close();
      await fs.rm(probe, { force: true });
    }
  }
}
