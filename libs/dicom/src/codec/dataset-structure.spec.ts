import fc from 'fast-check';
import { DatasetStructureCheck } from './dataset-structure';
import { datasetEncoding } from './transfer-syntax';

const EXPLICIT = datasetEncoding('1.2.840.10008.1.2.1');
const IMPLICIT = datasetEncoding('1.2.840.10008.1.2');
const BIG = datasetEncoding('1.2.840.10008.1.2.2');
const UNDEFINED = 0xffffffff;

function tag(group: number, element: number, le = true): Buffer {
  const buffer = Buffer.alloc(4);
  if (le) {
    buffer.writeUInt16LE(group, 0);
    buffer.writeUInt16LE(element, 2);
  } else {
    buffer.writeUInt16BE(group, 0);
    buffer.writeUInt16BE(element, 2);
  }
  return buffer;
}

function u32(value: number, le = true): Buffer {
  const buffer = Buffer.alloc(4);
  if (le) {
    buffer.writeUInt32LE(value, 0);
  } else {
    buffer.writeUInt32BE(value, 0);
  }
  return buffer;
}

/** Explicit VR LE element with a 2-byte length. */
function short(group: number, element: number, vr: string, value: string): Buffer {
  const bytes = Buffer.from(value.length % 2 ? `${value} ` : value, 'latin1');
  const length = Buffer.alloc(2);
  length.writeUInt16LE(bytes.length, 0);
  return Buffer.concat([tag(group, element), Buffer.from(vr), length, bytes]);
}

/** Explicit VR LE element with a 4-byte length (OB, OW, SQ, UN…); `length` overrides the real one. */
function long(group: number, element: number, vr: string, value: Buffer, length = value.length): Buffer {
  return Buffer.concat([tag(group, element), Buffer.from(vr), Buffer.alloc(2), u32(length), value]);
}

const item = (body: Buffer, length = body.length) => Buffer.concat([tag(0xfffe, 0xe000), u32(length), body]);
const itemEnd = () => Buffer.concat([tag(0xfffe, 0xe00d), u32(0)]);
const sequenceEnd = () => Buffer.concat([tag(0xfffe, 0xe0dd), u32(0)]);

/** A data set with every shape the check follows: nested sequences of both lengths, an UN sequence, fragments. */
function richDataset(): Buffer {
  return Buffer.concat(richElements());
}

/** richDataset's top-level elements, in order. */
function richElements(): Buffer[] {
  const inner = short(0x0008, 0x0100, 'SH', 'CODE');
  const nestedDefined = long(0x0040, 0xa730, 'SQ', item(inner));
  const undefinedItem = Buffer.concat([item(Buffer.concat([inner, nestedDefined]), UNDEFINED), itemEnd()]);
  const implicitInner = Buffer.concat([tag(0x0008, 0x0104), u32(4), Buffer.from('TEXT')]);
  return [
    short(0x0008, 0x0016, 'UI', '1.2.840.10008.5.1.4.1.1.4'),
    long(0x0008, 0x1110, 'SQ', Buffer.concat([undefinedItem, sequenceEnd()]), UNDEFINED),
    long(0x0009, 0x1001, 'UN', Buffer.concat([item(implicitInner, UNDEFINED), itemEnd(), sequenceEnd()]), UNDEFINED),
    short(0x0010, 0x0010, 'PN', 'TEST^PATIENT'),
    long(
      0x7fe0,
      0x0010,
      'OB',
      Buffer.concat([item(Buffer.alloc(0)), item(Buffer.alloc(100, 7)), item(Buffer.alloc(64, 9)), sequenceEnd()]),
      UNDEFINED,
    ),
  ];
}

function check(bytes: Buffer, pieces: number[] = [], encoding = EXPLICIT): string | undefined {
  const structure = new DatasetStructureCheck(encoding);
  let offset = 0;
  for (const size of pieces) {
    structure.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  structure.push(bytes.subarray(offset));
  return structure.end();
}

describe('DatasetStructureCheck', () => {
  it('passes a data set with nested sequences, an UN sequence and encapsulated pixel data', () => {
    expect(check(richDataset())).toBeUndefined();
  });

  it('names the element, its declared length and what arrived when the last element is cut short', () => {
    const whole = Buffer.concat([short(0x0008, 0x0016, 'UI', '1.2.3'), long(0x7fe0, 0x0010, 'OW', Buffer.alloc(1024))]);
    expect(check(whole.subarray(0, whole.length - 824))).toBe(
      '(7FE0,0010) declares 1024 bytes at offset 26, the data set ends after 200',
    );
  });

  it('finds an unclosed sequence, an element running past its item, and a stray delimiter', () => {
    const open = long(0x0008, 0x1110, 'SQ', item(short(0x0008, 0x0100, 'SH', 'X'), UNDEFINED), UNDEFINED);
    expect(check(open)).toBe('the data set ends inside an item');
    const overrun = long(0x0008, 0x1110, 'SQ', item(short(0x0008, 0x0100, 'SH', 'ABCDEF'), 6));
    expect(check(overrun)).toMatch(/runs past the end of an item/);
    expect(check(Buffer.concat([short(0x0008, 0x0016, 'UI', '1.2'), sequenceEnd()]))).toBe(
      'unexpected (FFFE,E0DD) at offset 12',
    );
  });

  it('refuses an undefined length on an element that cannot have one, and nesting past the limit', () => {
    expect(check(long(0x0009, 0x1001, 'OB', Buffer.alloc(0), UNDEFINED))).toBe(
      '(0009,1001) at offset 0 has an undefined length',
    );
    let nested = short(0x0008, 0x0100, 'SH', 'X');
    for (let depth = 0; depth < 20; depth += 1) {
      nested = long(0x0008, 0x1110, 'SQ', item(nested));
    }
    expect(check(nested)).toMatch(/nested deeper than 32/);
  });

  it('reads implicit VR little endian and explicit VR big endian', () => {
    const implicit = Buffer.concat([
      tag(0x0008, 0x0016),
      u32(6),
      Buffer.from('1.2.3\0'),
      tag(0x0008, 0x1110),
      u32(UNDEFINED),
      item(Buffer.concat([tag(0x0008, 0x0100), u32(2), Buffer.from('AB')])),
      sequenceEnd(),
    ]);
    expect(check(implicit, [], IMPLICIT)).toBeUndefined();
    expect(check(implicit.subarray(0, implicit.length - 1), [], IMPLICIT)).toMatch(/element header/);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(4, 0);
    const big = Buffer.concat([tag(0x0028, 0x0010, false), Buffer.from('US'), length, Buffer.alloc(4)]);
    expect(check(big, [], BIG)).toBeUndefined();
    expect(check(big.subarray(0, 10), [], BIG)).toMatch(/declares 4 bytes/);
  });

  it('gives the same answer however the data set is cut into fragments (property)', () => {
    const whole = richDataset();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 30 }), (pieces) => {
        expect(check(whole, pieces)).toBeUndefined();
      }),
      { seed: 1203, numRuns: 300 },
    );
  });

  it('fails a data set cut anywhere but between two top-level elements, and never throws (property)', () => {
    const elements = richElements();
    const whole = Buffer.concat(elements);
    const boundaries = new Set(elements.map((_, index) => Buffer.concat(elements.slice(0, index + 1)).length));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: whole.length - 1 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 10 }),
        (keep, pieces) => {
          const result = check(whole.subarray(0, keep), pieces);
          if (boundaries.has(keep)) {
            expect(result).toBeUndefined();
          } else {
            expect(result).toEqual(expect.any(String));
          }
        },
      ),
      { seed: 1204, numRuns: 300 },
    );
  });

  it('never throws on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.boolean(), (bytes, explicit) => {
        const result = check(Buffer.from(bytes), [7, 5], explicit ? EXPLICIT : IMPLICIT);
        expect(result === undefined || typeof result === 'string').toBe(true);
      }),
      { seed: 1205, numRuns: 1000 },
    );
  });
});
