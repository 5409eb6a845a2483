import { SpillFile, StoreSink } from './store-sink';

class MemorySpill implements SpillFile {
  written: Buffer[] = [];
  finished = false;
  discarded = false;
  write(chunks: Buffer[]): Promise<void> {
    this.written.push(...chunks);
    return Promise.resolve();
  }
  finish(): Promise<number> {
    this.finished = true;
    return Promise.resolve(Buffer.concat(this.written).length);
  }
  discard(): Promise<void> {
    this.discarded = true;
    return Promise.resolve();
  }
}

function sinkWith(spill: SpillFile, memoryLimit: number, onPressure = jest.fn()) {
  return new StoreSink({ memoryLimit, highWaterMark: 64, openSpill: () => Promise.resolve(spill), onPressure });
}

async function feed(sink: StoreSink, chunks: Buffer[]): Promise<void> {
  for (const chunk of chunks) {
    sink.write(chunk);
  }
  await new Promise<void>((resolve, reject) => sink.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

describe('StoreSink', () => {
  it('keeps a data set within the memory limit as the chunks that arrived', async () => {
    const spill = new MemorySpill();
    const sink = sinkWith(spill, 100);
    await feed(sink, [Buffer.from('abc'), Buffer.from('def')]);
    const result = sink.result();
    expect(result.kind).toBe('memory');
    expect(result.kind === 'memory' && Buffer.concat(result.chunks).toString()).toBe('abcdef');
    expect(spill.written).toHaveLength(0);
  });

  it('spills everything, in order, to the temp file once the limit is passed, and flushes it', async () => {
    const spill = new MemorySpill();
    const sink = sinkWith(spill, 4);
    await feed(sink, [Buffer.from('abc'), Buffer.from('def'), Buffer.from('ghi')]);
    const result = sink.result();
    expect(result.kind).toBe('spilled');
    expect(Buffer.concat(spill.written).toString()).toBe('abcdefghi');
    expect(spill.finished).toBe(true);
    expect(result.kind === 'spilled' && result.prefix.toString()).toBe('abc');
    expect(result.kind === 'spilled' && result.fileSize).toBe(9);
  });

  it('reports a failed spill as failed, never as a data set', async () => {
    const spill = new MemorySpill();
    spill.write = () => Promise.reject(new Error('disk full'));
    const sink = sinkWith(spill, 1);
    await expect(feed(sink, [Buffer.from('abc')])).rejects.toThrow('disk full');
    expect(sink.result()).toMatchObject({ kind: 'failed' });
  });

  it('asks for the socket to pause past the high-water mark and to resume once drained', async () => {
    const onPressure = jest.fn();
    let release!: () => void;
    const spill = new MemorySpill();
    const slowWrite = spill.write.bind(spill);
    spill.write = (chunks) => new Promise<void>((resolve) => (release = () => void slowWrite(chunks).then(resolve)));
    const sink = sinkWith(spill, 0, onPressure);
    sink.write(Buffer.alloc(100));
    expect(onPressure).toHaveBeenLastCalledWith(true);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await new Promise((resolve) => sink.once('drain', resolve));
    expect(onPressure).toHaveBeenLastCalledWith(false);
  });

  it('discards the temp file of a data set that never finished', async () => {
    const spill = new MemorySpill();
    const sink = sinkWith(spill, 1);
    sink.write(Buffer.from('abcdef'));
    await new Promise((resolve) => setImmediate(resolve));
    await sink.abandon();
    expect(spill.discarded).toBe(true);
  });
});
