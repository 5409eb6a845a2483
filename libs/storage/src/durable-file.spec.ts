import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TempFileReserve, TempFileWriter } from './durable-file';

describe('TempFileWriter', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'iehub-durable-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes chunks in order, counts them, and flushes and closes once', async () => {
    const writer = TempFileWriter.createSync(dir);
    writer.write([Buffer.from('ab'), Buffer.from('cd')]);
    writer.write([Buffer.from('e')]);
    expect(writer.size).toBe(5);
    expect(await writer.finish()).toBe(5);
    expect(readFileSync(writer.path, 'latin1')).toBe('abcde');
    await expect(writer.finish()).rejects.toThrow('not open');
    expect(() => writer.write([Buffer.from('x')])).toThrow('not open');
  });

  it('writes more buffers than one writev takes', async () => {
    const writer = await TempFileWriter.create(dir);
    const chunks = Array.from({ length: 1500 }, (_, i) => Buffer.from([i & 0xff]));
    writer.write(chunks);
    await writer.finish();
    expect(readFileSync(writer.path).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('discards: closed and removed', async () => {
    const writer = TempFileWriter.createSync(dir);
    writer.write([Buffer.from('ab')]);
    await writer.discard();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('TempFileReserve', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'iehub-reserve-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('hands out the spare it made after the last take, and makes the next one', async () => {
    const reserve = new TempFileReserve(dir);
    const first = reserve.take();
    await reserve.whenReady();
    const [spare] = readdirSync(dir).filter((name) => path.join(dir, name) !== first.path);
    expect(spare).toBeDefined();
    const second = reserve.take();
    expect(second.path).toBe(path.join(dir, spare));
    await reserve.whenReady();
    expect(readdirSync(dir)).toHaveLength(3);
    await Promise.all([first.discard(), second.discard(), reserve.release()]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves nothing behind when released, even with a spare still being made', async () => {
    const reserve = new TempFileReserve(dir);
    const taken = reserve.take();
    await reserve.release();
    await taken.discard();
    expect(readdirSync(dir)).toEqual([]);
    // Released: a late take still works, but no spare is made after it.
    const late = reserve.take();
    await late.discard();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('throws from take when no temp file can be created', () => {
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'not a directory');
    const reserve = new TempFileReserve(dir);
    expect(() => reserve.take()).toThrow(/ENOTDIR/);
    rmSync(dir);
  });
});
