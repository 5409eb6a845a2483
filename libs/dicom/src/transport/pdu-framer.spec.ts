import { FramedPdus, PduFramer } from './pdu-framer';

function pdu(type: number, body: Buffer | number): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt8(type, 0);
  const length = typeof body === 'number' ? body : body.length;
  header.writeUInt32BE(length, 2);
  return typeof body === 'number' ? header : Buffer.concat([header, body]);
}

function pdus(framed: FramedPdus): Buffer[] {
  if ('problem' in framed) {
    throw new Error(framed.problem);
  }
  return framed.pdus.map((pdu) => (Array.isArray(pdu) ? Buffer.concat(pdu) : pdu));
}

/** The PDUs as they came out equal the ones sent (compared as bytes: deep equality of buffers is slow). */
function expectSame(out: Buffer[], expected: Buffer[]): void {
  expect(out.map((p) => p.toString('hex'))).toEqual(expected.map((p) => p.toString('hex')));
}

/** Distinct bytes, so a PDU put together in the wrong order would not compare equal. */
function body(length: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff));
}

describe('PduFramer', () => {
  const stream = [pdu(0x01, body(70, 1)), pdu(0x04, body(1000, 2)), pdu(0x05, body(4, 3)), pdu(0x04, body(1, 4))];
  const joined = Buffer.concat(stream);

  it('returns every PDU whole and in order, whatever the chunking: split at every byte boundary', () => {
    for (let cut = 1; cut < joined.length; cut++) {
      const framer = new PduFramer(1000);
      const out = [...pdus(framer.push(joined.subarray(0, cut))), ...pdus(framer.push(joined.subarray(cut)))];
      expectSame(out, stream);
    }
  });

  it('returns every PDU whole when the stream arrives a byte at a time', () => {
    const framer = new PduFramer(1000);
    const out: Buffer[] = [];
    for (let i = 0; i < joined.length; i++) {
      out.push(...pdus(framer.push(joined.subarray(i, i + 1))));
    }
    expectSame(out, stream);
  });

  it('returns several PDUs from one chunk as views of it, without copying', () => {
    const framer = new PduFramer(1000);
    const out = pdus(framer.push(joined));
    expectSame(out, stream);
    expect(out.every((p) => p.buffer === joined.buffer)).toBe(true);
  });

  it('with piecesForPData, gives a P-DATA-TF PDU spanning chunks as views of them, any other whole', () => {
    for (let cut = 1; cut < joined.length; cut++) {
      const framer = new PduFramer(1000, undefined, { piecesForPData: true });
      const head = joined.subarray(0, cut);
      const tail = joined.subarray(cut);
      const framed = [framer.push(head), framer.push(tail)].flatMap((f) => ('problem' in f ? [] : f.pdus));
      expectSame(
        framed.map((pdu) => (Array.isArray(pdu) ? Buffer.concat(pdu) : pdu)),
        stream,
      );
      for (const pdu of framed.filter(Array.isArray)) {
        expect(pdu[0][0]).toBe(0x04);
        // Views of the chunks; only a PDU header split between chunks is joined (its 6 bytes).
        expect(pdu.slice(1).every((piece) => piece.buffer === joined.buffer)).toBe(true);
        expect(pdu[0].buffer === joined.buffer || pdu[0].length === 6).toBe(true);
      }
      // The A-ASSOCIATE-RQ (0x01) spans the cut when it falls in its first 76 bytes: joined all the same.
      expect(framed.some((pdu) => Array.isArray(pdu) && pdu[0][0] !== 0x04)).toBe(false);
    }
  });

  it('takes a PDU with an empty body', () => {
    const framer = new PduFramer(1000);
    expectSame(pdus(framer.push(Buffer.concat([pdu(0x06, 0), pdu(0x05, 0)]))), [pdu(0x06, 0), pdu(0x05, 0)]);
  });

  it('reports a P-DATA-TF PDU longer than the limit, even when its header is split, and reads nothing more', () => {
    const framer = new PduFramer(1000);
    const header = pdu(0x04, 1001);
    expect(pdus(framer.push(header.subarray(0, 3)))).toEqual([]);
    expect(framer.push(header.subarray(3))).toEqual({
      problem: 'PDU type 0x04 of 1001 bytes exceeds the limit of 1000',
    });
    expect(framer.push(pdu(0x05, body(4, 0)))).toEqual({ pdus: [] });
  });

  it('holds association PDUs to a small limit whatever the data limit', () => {
    const framer = new PduFramer(1 << 20);
    expect(framer.push(pdu(0x01, 1 << 30))).toEqual({
      problem: `PDU type 0x01 of ${1 << 30} bytes exceeds the limit of 65536`,
    });
  });

  it('finds an oversize PDU that follows valid ones in the same chunk, before returning any', () => {
    const framer = new PduFramer(100);
    expect(framer.push(Buffer.concat([pdu(0x04, body(4, 0)), pdu(0x04, 5000)]))).toEqual({
      problem: 'PDU type 0x04 of 5000 bytes exceeds the limit of 100',
    });
  });

  it('reports a PDU type that does not exist', () => {
    const framer = new PduFramer(1000);
    expect(framer.push(pdu(0x09, body(4, 0)))).toEqual({ problem: 'unknown PDU type 0x09' });
  });
});
