import { ElementReader, MALFORMED, MAX_DEPTH, NEED_MORE, walkCommandSet } from './element-reader';
import { leadingElementsLength } from './leading-elements';
import { TransferSyntax } from './transfer-syntax';

const EXPLICIT = { explicitVr: true, littleEndian: true };

function explicitElement(group: number, element: number, vr: string, value: Buffer): Buffer {
  const long = !['CS', 'LO', 'PN', 'UI', 'US'].includes(vr);
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16LE(group, 0);
  header.writeUInt16LE(element, 2);
  header.write(vr, 4, 'latin1');
  if (long) {
    header.writeUInt32LE(value.length, 8);
  } else {
    header.writeUInt16LE(value.length, 6);
  }
  return Buffer.concat([header, value]);
}

/** A sequence element of undefined length, holding one item of undefined length around `inner`. */
function nest(inner: Buffer): Buffer {
  const sq = Buffer.from([0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  const item = Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]);
  const itemEnd = Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]);
  const sqEnd = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  return Buffer.concat([sq, item, inner, itemEnd, sqEnd]);
}

function nested(depth: number): Buffer {
  let data = explicitElement(0x0010, 0x0020, 'LO', Buffer.from('ID'));
  for (let i = 0; i < depth; i++) {
    data = nest(data);
  }
  return data;
}

describe('ElementReader', () => {
  it('walks sequences nested up to the depth limit and refuses one level more', () => {
    const ok = nested(MAX_DEPTH);
    expect(new ElementReader(ok, EXPLICIT, true).elementEnd(0)).toBe(ok.length);
    const deep = nested(MAX_DEPTH + 1);
    const reader = new ElementReader(deep, EXPLICIT, true);
    expect(reader.elementEnd(0)).toBe(MALFORMED);
    expect(reader.reason).toMatch(/nested deeper than 32/);
  });

  it('asks for more when a sequence is cut short, and calls it malformed when the data set is complete', () => {
    const cut = nested(2).subarray(0, 30);
    expect(new ElementReader(cut, EXPLICIT, false).elementEnd(0)).toBe(NEED_MORE);
    expect(new ElementReader(cut, EXPLICIT, true).elementEnd(0)).toBe(MALFORMED);
  });

  it('refuses odd lengths unless lenient', () => {
    const odd = explicitElement(0x0010, 0x0020, 'LO', Buffer.from('ABC'));
    expect(new ElementReader(odd, EXPLICIT, true).elementEnd(0)).toBe(MALFORMED);
    expect(new ElementReader(odd, EXPLICIT, true, { lenient: true }).elementEnd(0)).toBe(odd.length);
  });

  it('stops the head scan at a malformed element: the transform then judges what was read', () => {
    const dataset = nested(MAX_DEPTH + 1);
    expect(leadingElementsLength(dataset, TransferSyntax.ExplicitVrLittleEndian, 0x00110000, false)).toBe(
      dataset.length,
    );
  });
});

describe('walkCommandSet', () => {
  const element = (number: number, value: Buffer) => {
    const header = Buffer.alloc(8);
    header.writeUInt16LE(0x0000, 0);
    header.writeUInt16LE(number, 2);
    header.writeUInt32LE(value.length, 4);
    return Buffer.concat([header, value]);
  };

  it('visits each command element and stops where asked', () => {
    const command = Buffer.concat([element(0x0100, Buffer.from([1, 0])), element(0x0800, Buffer.from([1, 1]))]);
    const seen: number[] = [];
    expect(walkCommandSet(command, 0, command.length, (n) => void seen.push(n))).toBe(command.length);
    expect(seen).toEqual([0x0100, 0x0800]);
    expect(walkCommandSet(command, 0, command.length, (n) => n === 0x0100)).toBe(10);
  });

  it('refuses an element outside group 0000 or one that runs past the end', () => {
    const outside = Buffer.from([0x08, 0x00, 0x16, 0x00, 2, 0, 0, 0, 1, 2]);
    expect(walkCommandSet(outside, 0, outside.length, () => undefined)).toBeUndefined();
    const overrun = element(0x0100, Buffer.from([1, 0])).subarray(0, 9);
    expect(walkCommandSet(overrun, 0, overrun.length, () => undefined)).toBeUndefined();
  });
});
