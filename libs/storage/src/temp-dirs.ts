import { randomBytes } from 'node:crypto';
import { readFileSync, promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Every process keeps its temp files in a folder of its own under `<storage>/tmp`, named
 * `<boot id>.<pid>.<random>`, so that processes sharing one storage folder (several apps, several
 * hosts) never touch each other's unfinished instances. A live process touches its folder now and
 * then (its heartbeat). A folder is an orphan when its owner is known dead (same boot, pid gone) or
 * when its heartbeat is older than the grace period (another host, or a previous boot); whichever
 * process finds an orphan claims it by an atomic rename (the lock: one rename wins) and removes it.
 */

const REAPING_PREFIX = '.reaping.';

export interface OwnTempDir {
  name: string;
  bootId: string;
  pid: number;
}

/** The kernel's id of this boot: distinguishes hosts, and this host before and after a reboot. */
function currentBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'latin1')
      .trim()
      .replace(/[^0-9a-f-]/gi, '');
  } catch {
    // No /proc (not Linux): a random id per process start means "unknown boot", judged by heartbeat alone.
    return `x${randomBytes(8).toString('hex')}`;
  }
}

const BOOT_ID = currentBootId();

export function ownTempDirName(): OwnTempDir {
  const pid = process.pid;
  return { name: `${BOOT_ID}.${pid}.${randomBytes(3).toString('hex')}`, bootId: BOOT_ID, pid };
}

function parseOwner(name: string): { bootId: string; pid: number } | undefined {
  const match = /^([0-9a-zA-Z-]+)\.(\d+)\.[0-9a-f]+$/.exec(name);
  return match ? { bootId: match[1], pid: Number(match[2]) } : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SweepResult {
  removed: string[];
}

/**
 * Removes the temp folders (and loose temp files of the old flat layout) whose owners are gone. Never
 * touches `own`, nor a folder whose owner may be alive and has beaten within `graceMs`.
 */
export async function sweepOrphanTempDirs(tempRoot: string, own: OwnTempDir, graceMs: number): Promise<SweepResult> {
  const removed: string[] = [];
  const now = Date.now();
  let entries: string[];
  try {
    entries = await fs.readdir(tempRoot);
  } catch {
    return { removed };
  }
  for (const name of entries) {
    if (name === own.name) {
      continue;
    }
    const full = path.join(tempRoot, name);
    const stat = await fs.stat(full).catch(() => undefined);
    if (!stat) {
      continue;
    }
    const stale = now - stat.mtimeMs > graceMs;
    const owner = parseOwner(name);
    const deadHere = owner !== undefined && owner.bootId === own.bootId && !processAlive(owner.pid);
    if (!stale && !deadHere) {
      continue;
    }
    if (name.startsWith(REAPING_PREFIX) || !stat.isDirectory()) {
      // A reaper that died mid-way, or a loose file of the old layout: nobody can still be writing it.
      // Another sweeper may be removing the same thing: whoever finishes, it is gone.
      await fs.rm(full, { recursive: true, force: true }).catch(() => undefined);
      removed.push(name);
      continue;
    }
    const claimed = path.join(tempRoot, `${REAPING_PREFIX}${name}.${own.name}`);
    try {
      await fs.rename(full, claimed);
    } catch {
      continue; // another process claimed it first
    }
    await fs.rm(claimed, { recursive: true, force: true });
    removed.push(name);
  }
  return { removed };
}

/** The heartbeat: marks the folder as belonging to a live process. */
export async function touchTempDir(dir: string): Promise<void> {
  const now = new Date();
  await fs.utimes(dir, now, now);
}
