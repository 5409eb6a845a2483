import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ownTempDirName, sweepOrphanTempDirs } from './temp-dirs';

const GRACE = 10 * 60_000;

/** A pid that has certainly exited (a child that ran and was reaped). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('temp folders shared by several processes (real files, real processes)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'iehub-tmpdirs-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function folder(name: string, ageMs = 0): string {
    const dir = path.join(root, name);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'x.part'), 'unfinished');
    const when = new Date(Date.now() - ageMs);
    utimesSync(dir, when, when);
    return dir;
  }

  it("removes a dead process's folder at once, and keeps a live one's and its own", async () => {
    const own = ownTempDirName();
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      folder(own.name);
      const dead = folder(`${own.bootId}.${deadPid()}.aaaaaa`);
      const alive = folder(`${own.bootId}.${live.pid}.bbbbbb`);
      const { removed } = await sweepOrphanTempDirs(root, own, GRACE);
      expect(removed).toEqual([path.basename(dead)]);
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(alive)).toBe(true);
      expect(existsSync(path.join(root, own.name, 'x.part'))).toBe(true);
    } finally {
      live.kill();
    }
  });

  it("judges another host's folders by their heartbeat alone, and old-layout loose files by age", async () => {
    const own = ownTempDirName();
    const fresh = folder(`0000-other-boot.${process.pid}.cccccc`);
    const stale = folder(`0000-other-boot.${process.pid}.dddddd`, GRACE + 60_000);
    const looseOld = path.join(root, 'old.part');
    const looseNew = path.join(root, 'new.part');
    writeFileSync(looseOld, 'x');
    writeFileSync(looseNew, 'x');
    const old = new Date(Date.now() - GRACE - 60_000);
    utimesSync(looseOld, old, old);
    const { removed } = await sweepOrphanTempDirs(root, own, GRACE);
    expect(removed.sort()).toEqual([path.basename(stale), 'old.part'].sort());
    expect(existsSync(fresh)).toBe(true);
    expect(existsSync(looseNew)).toBe(true);
  });

  it('lets exactly one of several sweepers racing for an orphan remove it, without errors', async () => {
    const own = ownTempDirName();
    const orphans = [1, 2, 3, 4].map((n) => folder(`${own.bootId}.${deadPid()}.00000${n}`));
    const sweepers = [ownTempDirName(), ownTempDirName(), ownTempDirName()];
    const results = await Promise.all(sweepers.map((sweeper) => sweepOrphanTempDirs(root, sweeper, GRACE)));
    const all = results.flatMap((result) => result.removed).sort();
    expect(all).toEqual(orphans.map((dir) => path.basename(dir)).sort());
    expect(readdirSync(root)).toEqual([]);
  });
});
