import { SpillFile, StoreSink } from './store-sink';

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

function feed(sink: StoreSink, chunks: string[]): void {
  for (const chunk of chunks) {
    sink.write(Buffer.from(chunk));
  }
}

describe('StoreSink', () => {
  it('keeps a data set within the memory limit as the chunks that arrived', () => {
    const spill = new MemorySpill();
    const openSpill = jest.fn(() => spill);
    const sink = new StoreSink({ memoryLimit: 100, openSpill });
    const chunks = [Buffer.from('abc'), Buffer.from('def')];
    chunks.forEach((chunk) => sink.write(chunk));
    const result = sink.result();
    expect(result).toEqual({ kind: 'memory', chunks, length: 6 });
    expect(result.kind === 'memory' && result.chunks[0]).toBe(chunks[0]);
    expect(openSpill).not.toHaveBeenCalled();
  });

  it('spills everything, in order, to the temp file as it arrives once the limit is passed', () => {
    const spill = new MemorySpill();
    const sink = new StoreSink({ memoryLimit: 4, openSpill: () => spill });
    feed(sink, ['abc', 'def']);
    expect(Buffer.concat(spill.written).toString()).toBe('abcdef');
    feed(sink, ['ghi']);
    const result = sink.result();
    expect(Buffer.concat(spill.written).toString()).toBe('abcdefghi');
    expect(result).toMatchObject({ kind: 'spilled', length: 9, fileSize: 9 });
    expect(result.kind === 'spilled' && result.prefix.toString()).toBe('abc');
  });

  it('keeps only the first 64 KiB of what it had in memory as the prefix, and writes it all without a copy', () => {
    const spill = new MemorySpill();
    const sink = new StoreSink({ memoryLimit: 200_000, openSpill: () => spill });
    const kept = [Buffer.alloc(40_000, 1), Buffer.alloc(40_000, 2), Buffer.alloc(40_000, 3)];
    kept.forEach((chunk) => sink.write(chunk));
    sink.write(Buffer.alloc(100_000, 4));
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
    });
    expect(() => feed(sink, ['abc', 'def'])).not.toThrow();
    expect(sink.result()).toMatchObject({ kind: 'failed', error: new Error('ENOTDIR') });
  });

  it('reports a failed write as failed, never as a data set, and discards the temp file', () => {
    const spill = new MemorySpill();
    const sink = new StoreSink({ memoryLimit: 1, openSpill: () => spill });
    feed(sink, ['abc']);
    spill.failWrites = true;
    expect(() => feed(sink, ['def', 'ghi'])).not.toThrow();
    expect(sink.result()).toMatchObject({ kind: 'failed', error: new Error('disk full') });
    expect(spill.discarded).toBe(true);
  });

  it('discards the temp file of a data set that never finished', async () => {
    const spill = new MemorySpill();
    const sink = new StoreSink({ memoryLimit: 1, openSpill: () => spill });
    feed(sink, ['abcdef']);
    await sink.abandon();
    expect(spill.discarded).toBe(true);
  });
});
