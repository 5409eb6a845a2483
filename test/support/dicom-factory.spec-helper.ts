// A small Part-10 reader for tests: split a file into meta and data set bytes, and find top-level elements, so a
// test can compare what a peer wrote with what was sent without trusting the code under test to parse it.
import { readFileSync } from 'node:fs';

export interface Part10File {
  /** Preamble, DICM and group 0002. */
  meta: Buffer;
  /** Everything after the file meta, byte for byte. */
  dataset: Buffer;
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
}

export interface RawElement {
  tag: number;
  /** Explicit VR, or undefined in Implicit VR data sets. */
  vr?: string;
  /** 0xFFFFFFFF for undefined length. */
  length: number;
  /** Offset of the value in the buffer that was scanned. */
  valueOffset: number;
  /** The value bytes (empty for undefined-length elements, whose content is not collected). */
  value: Buffer;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED = 0xffffffff;

function trimUid(buf: Buffer): string {
  return buf.toString('latin1').replace(/[\0 ]+$/, '');
}

/** Scans the top level of an encoded data set (skipping nested sequences and encapsulated pixel data). */
export function scanElements(buf: Buffer, explicit: boolean, start = 0, end = buf.length): RawElement[] {
  const out: RawElement[] = [];
  let pos = start;
  while (pos + 8 <= end) {
    const tag = buf.readUInt16LE(pos) * 0x10000 + buf.readUInt16LE(pos + 2);
    let vr: string | undefined;
    let length: number;
    let valueOffset: number;
    if (tag === 0xfffee000 || tag === 0xfffee00d || tag === 0xfffee0dd) {
      vr = undefined;
      length = buf.readUInt32LE(pos + 4);
      valueOffset = pos + 8;
    } else if (explicit || tag >>> 16 === 0x0002) {
      vr = buf.toString('latin1', pos + 4, pos + 6);
      if (LONG_VRS.has(vr)) {
        length = buf.readUInt32LE(pos + 8);
        valueOffset = pos + 12;
      } else {
        length = buf.readUInt16LE(pos + 6);
        valueOffset = pos + 8;
      }
    } else {
      length = buf.readUInt32LE(pos + 4);
      valueOffset = pos + 8;
    }
    if (length === UNDEFINED) {
      const after = skipUndefined(buf, explicit, valueOffset, end);
      out.push({ tag, vr, length, valueOffset, value: Buffer.alloc(0) });
      pos = after;
      continue;
    }
    if (valueOffset + length > end) {
      throw new Error(`element (${tag.toString(16).padStart(8, '0')}) length ${length} runs past the data set`);
    }
    out.push({ tag, vr, length, valueOffset, value: buf.subarray(valueOffset, valueOffset + length) });
    pos = valueOffset + length;
  }
  return out;
}

/** Returns the offset just past the sequence delimiter that closes an undefined-length value starting at pos. */
function skipUndefined(buf: Buffer, explicit: boolean, pos: number, end: number): number {
  while (pos + 8 <= end) {
    const tag = buf.readUInt16LE(pos) * 0x10000 + buf.readUInt16LE(pos + 2);
    const length = buf.readUInt32LE(pos + 4);
    pos += 8;
    if (tag === 0xfffee0dd) {
      return pos;
    }
    if (tag !== 0xfffee000) {
      throw new Error(`unexpected (${tag.toString(16)}) inside an undefined-length value`);
    }
    if (length === UNDEFINED) {
      // Undefined-length item: scan its elements up to the item delimiter.
      while (pos + 8 <= end) {
        const inner = buf.readUInt16LE(pos) * 0x10000 + buf.readUInt16LE(pos + 2);
        if (inner === 0xfffee00d) {
          pos += 8;
          break;
        }
        const [el] = scanElements(buf, explicit, pos, end).slice(0, 1);
        pos = el.length === UNDEFINED ? skipUndefined(buf, explicit, el.valueOffset, end) : el.valueOffset + el.length;
      }
    } else {
      pos += length;
    }
  }
  throw new Error('undefined-length value without a sequence delimiter');
}

/** Reads a Part-10 file and splits it at the end of the file meta group. */
export function readPart10(path: string): Part10File {
  const buf = readFileSync(path);
  if (buf.toString('latin1', 128, 132) !== 'DICM') {
    throw new Error(`${path}: no DICM prefix`);
  }
  const groupLength = scanElements(buf, true, 132, 144)[0];
  if (groupLength.tag !== 0x00020000) {
    throw new Error(`${path}: file meta does not start with (0002,0000)`);
  }
  const metaEnd = groupLength.valueOffset + 4 + groupLength.value.readUInt32LE(0);
  const meta = scanElements(buf, true, 132, metaEnd);
  const value = (tag: number): string => trimUid(meta.find((e) => e.tag === tag)?.value ?? Buffer.alloc(0));
  return {
    meta: buf.subarray(0, metaEnd),
    dataset: buf.subarray(metaEnd),
    transferSyntaxUid: value(0x00020010),
    sopClassUid: value(0x00020002),
    sopInstanceUid: value(0x00020003),
  };
}

/** The top-level element with this tag in a Part-10 file's data set, or undefined. */
export function findElement(file: Part10File, tag: number): RawElement | undefined {
  const explicit = file.transferSyntaxUid !== '1.2.840.10008.1.2';
  return scanElements(file.dataset, explicit).find((e) => e.tag === tag);
}

/** A text or UI value of a top-level element, without its padding. */
export function elementText(file: Part10File, tag: number): string | undefined {
  const el = findElement(file, tag);
  return el ? el.value.toString('latin1').replace(/[\0 ]+$/, '') : undefined;
}
