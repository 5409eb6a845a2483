import { DatasetStructureCheck } from './dataset-structure';
import { explicitToImplicitLittleEndian } from './implicit-vr';
import { datasetEncoding } from './transfer-syntax';

const UNDEFINED = 0xffffffff;

function tag(group: number, element: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt16LE(group, 0);
  buffer.writeUInt16LE(element, 2);
  return buffer;
}
const u32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value, 0);
  return buffer;
};
const u16 = (value: number) => {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16LE(value, 0);
  return buffer;
};
const explicitShort = (g: number, e: number, vr: string, value: Buffer) =>
  Buffer.concat([tag(g, e), Buffer.from(vr), u16(value.length), value]);
const explicitLong = (g: number, e: number, vr: string, value: Buffer, length = value.length) =>
  Buffer.concat([tag(g, e), Buffer.from(vr), Buffer.alloc(2), u32(length), value]);
const implicit = (g: number, e: number, value: Buffer, length = value.length) =>
  Buffer.concat([tag(g, e), u32(length), value]);
const item = (body: Buffer, length = body.length) => Buffer.concat([tag(0xfffe, 0xe000), u32(length), body]);
const itemEnd = () => Buffer.concat([tag(0xfffe, 0xe00d), u32(0)]);
const seqEnd = () => Buffer.concat([tag(0xfffe, 0xe0dd), u32(0)]);

describe('explicitToImplicitLittleEndian', () => {
  it('keeps every value and rewrites only the headers, sequences and items with undefined lengths', () => {
    const uid = Buffer.from('1.2.3\0');
    const code = Buffer.from('CODE');
    const pixels = Buffer.alloc(16, 7);
    const explicitSet = Buffer.concat([
      explicitShort(0x0008, 0x0000, 'UL', u32(99)), // a group length: left out
      explicitShort(0x0008, 0x0016, 'UI', uid),
      explicitLong(0x0008, 0x1110, 'SQ', item(explicitShort(0x0008, 0x0100, 'SH', code))),
      explicitLong(
        0x0009,
        0x1001,
        'UN',
        Buffer.concat([item(implicit(0x0009, 0x0010, code), UNDEFINED), itemEnd(), seqEnd()]),
        UNDEFINED,
      ),
      explicitShort(0x0028, 0x0010, 'US', u16(4)),
      explicitLong(0x7fe0, 0x0010, 'OW', pixels),
    ]);
    const expected = Buffer.concat([
      implicit(0x0008, 0x0016, uid),
      implicit(
        0x0008,
        0x1110,
        Buffer.concat([item(implicit(0x0008, 0x0100, code), UNDEFINED), itemEnd(), seqEnd()]),
        UNDEFINED,
      ),
      implicit(
        0x0009,
        0x1001,
        Buffer.concat([item(implicit(0x0009, 0x0010, code), UNDEFINED), itemEnd(), seqEnd()]),
        UNDEFINED,
      ),
      implicit(0x0028, 0x0010, u16(4)),
      implicit(0x7fe0, 0x0010, pixels),
    ]);
    const converted = explicitToImplicitLittleEndian(explicitSet);
    expect(converted.toString('hex')).toBe(expected.toString('hex'));
    const check = new DatasetStructureCheck(datasetEncoding('1.2.840.10008.1.2'));
    check.push(converted);
    expect(check.end()).toBeUndefined();
  });

  it('refuses a data set it cannot walk', () => {
    const cut = explicitLong(0x7fe0, 0x0010, 'OW', Buffer.alloc(16)).subarray(0, 20);
    expect(() => explicitToImplicitLittleEndian(cut)).toThrow(/runs past/);
    expect(() =>
      explicitToImplicitLittleEndian(explicitLong(0x0009, 0x1001, 'OB', Buffer.alloc(0), UNDEFINED)),
    ).toThrow(/undefined length/);
  });
});
