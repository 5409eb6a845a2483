// The hub's storage folder for the fault suite: a small ext4 file system in a file, loop-mounted, so a case can
// fill it to the last block and free it again. Loop mounting needs root; where the machine forbids it, the
// storage is a plain folder and the disk-full case is skipped with the reason.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from './processes';

export class HubStorage {
  private mounted = false;
  private readonly filler: string;

  private constructor(
    readonly dir: string,
    /** Why the disk cannot be filled here, or undefined when it can. */
    readonly cannotFill: string | undefined,
    mounted: boolean,
  ) {
    this.mounted = mounted;
    this.filler = join(dir, 'fault-suite-filler.bin');
  }

  static create(root: string, sizeMiB = 128): HubStorage {
    const mountPoint = join(root, 'store');
    mkdirSync(mountPoint, { recursive: true });
    const reason = HubStorage.tryMount(root, mountPoint, sizeMiB);
    return new HubStorage(mountPoint, reason, reason === undefined);
  }

  private static tryMount(root: string, mountPoint: string, sizeMiB: number): string | undefined {
    if (process.getuid?.() !== 0) {
      return 'not root: cannot loop-mount a small file system (run as root, as .ci/run does)';
    }
    const mkfs = findBinary('mkfs.ext4');
    const fallocate = findBinary('fallocate');
    if (!mkfs || !fallocate) {
      return 'mkfs.ext4 or fallocate is missing (apt-get install -y e2fsprogs util-linux)';
    }
    const image = join(root, 'store.ext4');
    try {
      execFileSync('truncate', ['-s', `${sizeMiB}M`, image]);
      // -m 0: no blocks reserved for root, so a full disk is full for the hub (which runs as root here) too.
      execFileSync(mkfs, ['-q', '-F', '-m', '0', image], { stdio: 'pipe' });
      execFileSync('mount', ['-o', 'loop', image, mountPoint], { stdio: 'pipe' });
      return undefined;
    } catch (err) {
      rmSync(image, { force: true });
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
      return `this machine forbids a loop mount (${stderr || (err as Error).message})`;
    }
  }

  /** Bytes still free for the hub. */
  freeBytes(): number {
    const s = statfsSync(this.dir);
    return s.bavail * s.bsize;
  }

  /** Takes every free block: most in one fallocate, the last few by writing until the disk says it is full. */
  fill(): void {
    if (this.cannotFill) {
      throw new Error(this.cannotFill);
    }
    const bulk = this.freeBytes() - 2 * 2 ** 20;
    if (bulk > 0) {
      execFileSync('fallocate', ['-l', String(bulk), this.filler]);
    }
    const fd = openSync(`${this.filler}.tail`, 'w');
    const block = Buffer.alloc(4096);
    try {
      for (;;) {
        writeSync(fd, block);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') {
        throw err;
      }
    } finally {
      closeSync(fd);
    }
    if (this.freeBytes() > 64 * 1024) {
      throw new Error(`could not fill ${this.dir}: ${this.freeBytes()} bytes still free`);
    }
  }

  unfill(): void {
    rmSync(this.filler, { force: true });
    rmSync(`${this.filler}.tail`, { force: true });
  }

  /** Unmounts (lazily, if a process still holds a file) and removes the mount point. */
  destroy(): void {
    this.unfill();
    if (this.mounted) {
      try {
        execFileSync('umount', [this.dir], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', this.dir], { stdio: 'pipe' });
      }
      this.mounted = false;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
