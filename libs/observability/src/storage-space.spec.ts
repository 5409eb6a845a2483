import { HubConfig } from '@hub/config';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FREE_SPACE_CACHE_MS, StorageSpaceMonitor, freeSpaceOf } from './storage-space';

const MIB = 1024 * 1024;

describe('freeSpaceOf', () => {
  it('counts the blocks an unprivileged writer may still use', () => {
    expect(freeSpaceOf({ bavail: 2560, bsize: 4096 }, 5 * MIB)).toEqual({
      freeBytes: 10 * MIB,
      floorBytes: 5 * MIB,
      belowFloor: false,
    });
  });

  it('is below the floor at the floor and under it, and never with a floor of 0', () => {
    expect(freeSpaceOf({ bavail: 1280, bsize: 4096 }, 5 * MIB).belowFloor).toBe(true);
    expect(freeSpaceOf({ bavail: 1, bsize: 4096 }, 5 * MIB).belowFloor).toBe(true);
    expect(freeSpaceOf({ bavail: 0, bsize: 4096 }, 0).belowFloor).toBe(false);
  });
});

describe('StorageSpaceMonitor', () => {
  let dir: string;
  const monitorWith = (minFreeMegabytes: number) =>
    new StorageSpaceMonitor({ hub: { storageDir: dir }, storage: { minFreeMegabytes } } as HubConfig);

  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'iehub-space-'))));
  afterEach(() => {
    jest.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the directory once a second however often it is asked', async () => {
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['nextTick', 'setImmediate'] });
    const monitor = monitorWith(0);
    const first = await monitor.freeSpace();
    expect(first.freeBytes).toBeGreaterThan(0);
    expect(await monitor.freeSpace()).toBe(first);
    jest.setSystemTime(1_000_000 + FREE_SPACE_CACHE_MS - 1);
    expect(await monitor.freeSpace()).toBe(first);
    jest.setSystemTime(1_000_000 + FREE_SPACE_CACHE_MS);
    expect(await monitor.freeSpace()).not.toBe(first);
  });

  it('is below a floor larger than any disk', async () => {
    expect((await monitorWith(1024 ** 3).freeSpace()).belowFloor).toBe(true);
    expect((await monitorWith(0).freeSpace()).belowFloor).toBe(false);
  });

  it('probes that the directory takes a file, and leaves nothing behind', async () => {
    await monitorWith(0).probeWritable();
    expect(readdirSync(dir)).toEqual([]);
    await expect(
      new StorageSpaceMonitor({
        hub: { storageDir: path.join(dir, 'missing') },
        storage: { minFreeMegabytes: 0 },
      } as HubConfig).probeWritable(),
    ).rejects.toThrow(/ENOENT/);
  });
});
