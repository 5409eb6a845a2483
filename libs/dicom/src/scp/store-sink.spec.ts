import { SpillFile, StoreSink } from './store-sink';
import { datasetEncoding } from '../codec/transfer-syntax';

const encoding = datasetEncoding('1.2.840.10008.1.2.1');

/** One explicit VR LE OB element holding `valueLength` bytes of `fill`: a data set whose structure is whole. */
function obElement(valueLength: number, fill = 0x41): Buffer {
  const header = Buffer.from([0x09, 0x00, 0x10, 0x10, 0x4f, 0x42, 0, 0, 0, 0, 0, 0]);
  header.writeUInt32LE(valueLength, 8);
  return Buffer.concat([header, Buffer.alloc(valueLength, fill)]);
}

/** `whole` cut into pieces of the given sizes (the last takes the rest). */
function cut(whole: Buffer, sizes: number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let offset = 0;
  for (const size of sizes) {
    pieces.push(whole.subarray(offset, offset + size));
    offset += size;
  }
  return offset < whole.length ? [...pieces, whole.subarray(offset)] : pieces;
}

class MemorySpill implements SpillFile {
  written: Buffer[] = [];
  discarded = false;
  failWrites = false;
  get size(): number {
    return this.written.reduce((sum, chunk) => sum + chunk.length, 0);
  }
  write(chunks: Buffer[]): void {
    if (this.failWrites) {
      throw new Error('disk full');
    }
    this.written.push(...chunks);
  }
  discard(): Promise<void> {
    this.discarded = true;
    return Promise.resolve();
  }
}

function feed(sink: StoreSink, chunks: Buffer[]): void {
  for (const chunk of chunks) {
    sink.write(chunk);
  }
}

describe('StoreSink', () => {
  it('keeps a data set within the memory limit as the chunks that arrived', () => {
    const spill = new MemorySpill();
    const openSpill = jest.fn(() => spill);
    const sink = new StoreSink({ memoryLimit: 100, openSpill, encoding });
    const chunks = cut(obElement(6), [9]);
    chunks.forEach((chunk) => sink.write(chunk));
    const result = sink.result();
    expect(result).toEqual({ kind: 'memory', chunks, length: 18 });
    expect(result.kind === 'memory' && result.chunks[0]).toBe(chunks[0]);
    expect(openSpill).not.toHaveBeenCalled();
  });

  it('spills everything, in order, to the temp file as it arrives once the limit is passed', () => {
    const spill = new MemorySpill();
    const sink = new StoreSink({ memoryLimit: 4, openSpill: () => spill, encoding });
    const whole = obElement(12);
    const [first, second, third] = cut(whole, [3, 9]);
    feed(sink, [first, second]);
    expect(Buffer.concat(spill.written)).toEqual(whole.subarray(0, 12));
    feed(sink, [third]);
    const result = sink.result();
    expect(Buffer.concat(spill.written)).toEqual(whole);
    expect(result).toMatchObject({ kind: 'spilled', length: 24, fileSize: 24 });
    expect(result.kind === 'spilled' && result.prefix).toEqual(first);
  });

  it('keeps only the first 64 KiB of what it had in memory as the prefix, and writes it all without a copy', () => {
    const spill = new MemorySpill();
    const sink = new StoreSink({ memoryLimit: 200_000, openSpill: () => spill, encoding });
    const pieces = cut(obElement(220_000 - 12), [40_000, 40_000, 40_000]);
    const kept = pieces.slice(0, 3);
    feed(sink, pieces);
    const result = sink.result();
    expect(spill.written[0]).toBe(kept[0]);
    expect(spill.size).toBe(220_000);
    expect(result.kind === 'spilled' && result.prefix).toEqual(Buffer.concat(kept).subarray(0, 65_536));
  });

  it('reports a temp file that cannot be opened as failed, and takes the rest of the data set', () => {
    const sink = new StoreSink({
      memoryLimit: 1,
      openSpill: () => {
        throw new Error('ENOTDIR');
      },
      encoding,
    });
    expect(() => feed(sink, cut(obElement(6), [3]))).not.toThrow();
    expect(sink.result()).toMatchObject({ kind: 'failed', error: new Error('ENOTDIR') });
  });

  it('reports a failed write as failed, never as a data set, and discards the temp file', () => {
    const spill = new MemorySpill();
    const sink = new StoreSink({ memoryLimit: 1, openSpill: () => spill, encoding });
    const [first, ...rest] = cut(obElement(12), [3, 9]);
    feed(sink, [first]);
    spill.failWrites = true;
    expect(() => feed(sink, rest)).not.toThrow();
    expect(sink.result()).toMatchObject({ kind: 'failed', error: new Error('disk full') });
    expect(spill.discarded).toBe(true);
  });

  it('discards the temp file of a data set that never finished', async () => {
    const spill = new MemorySpill();
    const sink = new StoreSink({ memoryLimit: 1, openSpill: () => spill, encoding });
    feed(sink, cut(obElement(12), [6]).slice(0, 1));
    await sink.abandon();
    expect(spill.discarded).toBe(true);
  });

  it('reports a data set whose last element is cut short as malformed, and discards its temp file', () => {
    const spill = new MemorySpill();
    const sink = new StoreSink({ memoryLimit: 16, openSpill: () => spill, encoding });
    const whole = obElement(1024);
    feed(sink, [whole.subarray(0, 100), whole.subarray(100, 200)]);
    const result = sink.result();
    expect(result).toEqual({
      kind: 'malformed',
      problem: '(0009,1010) declares 1024 bytes at offset 12, the data set ends after 188',
    });
    expect(spill.discarded).toBe(true);
  });

  it('stops keeping a data set once its structure is broken, and still takes the rest', () => {
    const spill = new MemorySpill();
    const sink = new StoreSink({ memoryLimit: 1_000_000, openSpill: () => spill, encoding });
    // An item delimiter at the top level, then more bytes: nothing after the problem is kept.
    const stray = Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]);
    expect(() => feed(sink, [obElement(4), stray, obElement(4)])).not.toThrow();
    expect(sink.result()).toEqual({ kind: 'malformed', problem: 'unexpected (FFFE,E00D) at offset 16' });
  });
});
