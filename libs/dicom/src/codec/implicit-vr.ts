import { MAX_DEPTH } from './element-reader';
import {
  ITEM,
  ITEM_DELIMITATION,
  SEQUENCE_DELIMITATION,
  SHORT_LENGTH_VRS,
  UNDEFINED_LENGTH,
  VR_SQ,
  VR_UN,
  tagName,
} from './vr';

function header(tag: number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeUInt16LE(tag >>> 16, 0);
  bytes.writeUInt16LE(tag & 0xffff, 2);
  bytes.writeUInt32LE(length, 4);
  return bytes;
}

/**
 * Re-encodes an Explicit VR Little Endian data set as Implicit VR Little Endian, for a recipient that
 * accepted only the latter (PS3.5 A.1 and A.2 hold the same values in the same byte order: only the
 * element headers differ, so nothing is lost). Every sequence and item is written with undefined length
 * and its delimiter, so no length has to be recomputed after the headers shrink; group lengths
 * (gggg,0000), retired in data sets, are left out for the same reason. Throws on a data set it cannot
 * walk (the receiver checked its structure when it arrived, so that means a damaged file).
 */
export function explicitToImplicitLittleEndian(dataset: Buffer): Buffer {
  const out: Buffer[] = [];
  const end = convertElements(dataset, 0, dataset.length, out, 0, false);
  if (end !== dataset.length) {
    throw new Error(`explicit VR data set ends at offset ${end} of ${dataset.length}`);
  }
  return Buffer.concat(out);
}

/**
 * Converts the elements in [start, limit) (or, with `untilDelimiter`, up to and including the item
 * delimiter); returns the offset after what it read.
 */
function convertElements(
  buf: Buffer,
  start: number,
  limit: number,
  out: Buffer[],
  depth: number,
  untilDelimiter: boolean,
): number {
  let pos = start;
  while (pos < limit) {
    if (pos + 8 > limit) {
      throw new Error(`element header cut short at offset ${pos}`);
    }
    const tag = ((buf.readUInt16LE(pos) << 16) | buf.readUInt16LE(pos + 2)) >>> 0;
    if (tag === ITEM_DELIMITATION) {
      if (!untilDelimiter) {
        throw new Error(`unexpected item delimiter at offset ${pos}`);
      }
      return pos + 8;
    }
    const vr = (buf[pos + 4] << 8) | buf[pos + 5];
    let length: number;
    let valueStart: number;
    if (SHORT_LENGTH_VRS.has(vr)) {
      length = buf.readUInt16LE(pos + 6);
      valueStart = pos + 8;
    } else {
      if (pos + 12 > limit) {
        throw new Error(`element header cut short at offset ${pos}`);
      }
      length = buf.readUInt32LE(pos + 8);
      valueStart = pos + 12;
    }
    if (vr === VR_SQ) {
      out.push(header(tag, UNDEFINED_LENGTH));
      pos = convertSequence(buf, valueStart, length, limit, out, depth + 1);
      out.push(header(SEQUENCE_DELIMITATION, 0));
      continue;
    }
    if (length === UNDEFINED_LENGTH) {
      if (vr !== VR_UN) {
        throw new Error(`${tagName(tag)} at offset ${pos} has an undefined length in explicit VR LE`);
      }
      // An UN of undefined length already holds implicit VR LE (PS3.5 6.2.2): copied as it is.
      const after = skipImplicitSequence(buf, valueStart, limit, depth + 1);
      out.push(header(tag, UNDEFINED_LENGTH), buf.subarray(valueStart, after));
      pos = after;
      continue;
    }
    if (valueStart + length > limit) {
      throw new Error(`${tagName(tag)} at offset ${pos} runs past its container`);
    }
    if ((tag & 0xffff) !== 0x0000) {
      out.push(header(tag, length), buf.subarray(valueStart, valueStart + length));
    }
    pos = valueStart + length;
  }
  if (untilDelimiter) {
    throw new Error(`item not closed by offset ${limit}`);
  }
  return pos;
}

/** The items of a sequence whose value starts at `start`; returns the offset after the sequence. */
function convertSequence(
  buf: Buffer,
  start: number,
  length: number,
  limit: number,
  out: Buffer[],
  depth: number,
): number {
  if (depth > MAX_DEPTH) {
    throw new Error(`sequences nested deeper than ${MAX_DEPTH}`);
  }
  const defined = length !== UNDEFINED_LENGTH;
  const end = defined ? start + length : limit;
  if (end > limit) {
    throw new Error(`sequence at offset ${start} runs past its container`);
  }
  let pos = start;
  while (defined ? pos < end : true) {
    if (pos + 8 > end) {
      throw new Error(`sequence at offset ${start} not closed`);
    }
    const tag = ((buf.readUInt16LE(pos) << 16) | buf.readUInt16LE(pos + 2)) >>> 0;
    const itemLength = buf.readUInt32LE(pos + 4);
    pos += 8;
    if (tag === SEQUENCE_DELIMITATION) {
      if (defined) {
        throw new Error(`sequence delimiter inside a sequence of defined length at offset ${pos - 8}`);
      }
      return pos;
    }
    if (tag !== ITEM) {
      throw new Error(`${tagName(tag)} at offset ${pos - 8} where an item must be`);
    }
    out.push(header(ITEM, UNDEFINED_LENGTH));
    pos =
      itemLength === UNDEFINED_LENGTH
        ? convertElements(buf, pos, end, out, depth, true)
        : convertElements(buf, pos, pos + itemLength, out, depth, false);
    out.push(header(ITEM_DELIMITATION, 0));
  }
  return pos;
}

/** Skips an implicit VR LE sequence of undefined length (an UN's value); returns the offset after its delimiter. */
function skipImplicitSequence(buf: Buffer, start: number, limit: number, depth: number): number {
  if (depth > MAX_DEPTH) {
    throw new Error(`sequences nested deeper than ${MAX_DEPTH}`);
  }
  let pos = start;
  const stack: number[] = [];
  while (pos + 8 <= limit) {
    const tag = ((buf.readUInt16LE(pos) << 16) | buf.readUInt16LE(pos + 2)) >>> 0;
    const length = buf.readUInt32LE(pos + 4);
    pos += 8;
    if (tag === SEQUENCE_DELIMITATION || tag === ITEM_DELIMITATION) {
      if (stack.length === 0) {
        if (tag === SEQUENCE_DELIMITATION) {
          return pos;
        }
        throw new Error(`unexpected item delimiter at offset ${pos - 8}`);
      }
      stack.pop();
      continue;
    }
    if (length === UNDEFINED_LENGTH) {
      if (stack.length + depth >= MAX_DEPTH) {
        throw new Error(`sequences nested deeper than ${MAX_DEPTH}`);
      }
      stack.push(tag);
      continue;
    }
    // An item or element of defined length: its value is skipped whole.
    pos += length;
  }
  throw new Error(`UN sequence at offset ${start} not closed`);
}
