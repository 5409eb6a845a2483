import {
  ITEM,
  ITEM_DELIMITATION,
  PIXEL_DATA,
  SEQUENCE_DELIMITATION,
  SHORT_LENGTH_VRS,
  UNDEFINED_LENGTH,
  VR_OB,
  VR_OW,
  VR_SQ,
  VR_UN,
  tagName,
} from './vr';

/** Results of the reader's steps besides a position (>= 0). */
export const OK = 0;
export const NEED_MORE = -1;
export const MALFORMED = -2;

/** Sequences nested deeper than this are refused, by every walk over a data set. */
export const MAX_DEPTH = 32;

export interface ElementEncoding {
  explicitVr: boolean;
  littleEndian: boolean;
}

export interface ElementReaderOptions {
  /**
   * Accept odd value lengths and VR bytes that are not two capital letters (read by the VR table as
   * having the long form). The header scan refuses both; coercion and the file meta walk read stored
   * files the receiver has already checked, and never refused them.
   */
  lenient?: boolean;
}

function isUpper(byte: number): boolean {
  return byte >= 0x41 && byte <= 0x5a;
}

/**
 * The one DICOM element reader: walks element headers, and skips values, sequences and items, without
 * allocating, in any of the three uncompressed encodings, with nesting bounded by MAX_DEPTH. The header
 * scan, the file meta walk, coercion and the DIMSE command reader all go through it.
 *
 * Steps return a position (>= 0), OK, NEED_MORE (the buffer ends first and more bytes follow) or
 * MALFORMED (with `reason`). The last element header read is left in tag/vr/length/valueStart.
 */
export class ElementReader {
  reason = '';
  tag = 0;
  /** The VR as vrCode gives it; 0 in implicit VR, and for items and delimiters. */
  vr = 0;
  length = 0;
  valueStart = 0;
  readonly end: number;
  private readonly explicit: boolean;
  private readonly le: boolean;
  private readonly lenient: boolean;

  constructor(
    readonly buf: Buffer,
    encoding: ElementEncoding,
    /** The buffer is the whole data set: running out is MALFORMED rather than NEED_MORE. */
    readonly complete: boolean,
    options: ElementReaderOptions = {},
  ) {
    this.end = buf.length;
    this.explicit = encoding.explicitVr;
    this.le = encoding.littleEndian;
    this.lenient = options.lenient ?? false;
  }

  /** Reads the element header at `pos` into tag/vr/length/valueStart; OK, NEED_MORE or MALFORMED. */
  readHeader(pos: number): number {
    return this.readHeaderAs(pos, this.explicit, this.le);
  }

  /** The position after the element at `pos` (its header and value, sequences and items included). */
  elementEnd(pos: number, depth = 0): number {
    const read = this.readHeader(pos);
    return read === OK ? this.skipValue(depth) : read;
  }

  /** Skips the value of the element header just read; returns the position after it. */
  skipValue(depth = 0): number {
    return this.skipValueAs(this.explicit, this.le, depth);
  }

  tagAt(pos: number): number {
    return this.u16(pos, this.le) * 0x10000 + this.u16(pos + 2, this.le);
  }

  u16(pos: number, le = this.le): number {
    const buf = this.buf;
    return le ? buf[pos] | (buf[pos + 1] << 8) : (buf[pos] << 8) | buf[pos + 1];
  }

  u32(pos: number, le = this.le): number {
    const buf = this.buf;
    return le
      ? (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16)) + buf[pos + 3] * 0x1000000
      : buf[pos] * 0x1000000 + ((buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]);
  }

  fail(reason: string): number {
    this.reason = reason;
    return MALFORMED;
  }

  /** The buffer ends early: MALFORMED when it is the whole data set, NEED_MORE otherwise. */
  short(reason: string): number {
    return this.complete ? this.fail(reason) : NEED_MORE;
  }

  private readHeaderAs(pos: number, explicit: boolean, le: boolean): number {
    if (pos + 8 > this.end) {
      return this.short(`data set ends inside an element header at offset ${pos}`);
    }
    const tag = this.u16(pos, le) * 0x10000 + this.u16(pos + 2, le);
    this.tag = tag;
    if (!explicit || tag >>> 16 === 0xfffe) {
      this.vr = 0;
      this.length = this.u32(pos + 4, le);
      this.valueStart = pos + 8;
      return OK;
    }
    const b0 = this.buf[pos + 4];
    const b1 = this.buf[pos + 5];
    if (!this.lenient && (!isUpper(b0) || !isUpper(b1))) {
      return this.fail(`${tagName(tag)} at offset ${pos} has an invalid VR`);
    }
    this.vr = (b0 << 8) | b1;
    if (SHORT_LENGTH_VRS.has(this.vr)) {
      this.length = this.u16(pos + 6, le);
      this.valueStart = pos + 8;
      return OK;
    }
    if (pos + 12 > this.end) {
      return this.short(`data set ends inside an element header at offset ${pos}`);
    }
    this.length = this.u32(pos + 8, le);
    this.valueStart = pos + 12;
    return OK;
  }

  private skipValueAs(explicit: boolean, le: boolean, depth: number): number {
    const { tag, vr, length, valueStart } = this;
    if (length === UNDEFINED_LENGTH) {
      if (!explicit || vr === VR_SQ || tag === ITEM) {
        return this.skipSequence(valueStart, explicit, le, depth + 1, tag === ITEM);
      }
      // PS3.5 6.2.2: an UN of undefined length holds a sequence in implicit VR little endian.
      if (vr === VR_UN) {
        return this.skipSequence(valueStart, false, true, depth + 1, false);
      }
      // Encapsulated pixel data: fragments are items of defined length, closed by a sequence delimiter.
      if (tag === PIXEL_DATA && (vr === VR_OB || vr === VR_OW)) {
        return this.skipSequence(valueStart, explicit, le, depth + 1, false);
      }
      return this.fail(`${tagName(tag)} at offset ${valueStart} has an undefined length`);
    }
    if (length % 2 !== 0 && !this.lenient) {
      return this.fail(`${tagName(tag)} at offset ${valueStart} has an odd length ${length}`);
    }
    if (length > this.end - valueStart) {
      return this.short(`value of ${tagName(tag)} at offset ${valueStart} (length ${length}) overruns the data set`);
    }
    return valueStart + length;
  }

  /**
   * pos is just after a header of undefined length; returns the position after its sequence delimiter
   * (or, for an item of undefined length read on its own, after its item delimiter).
   */
  private skipSequence(pos: number, explicit: boolean, le: boolean, depth: number, item: boolean): number {
    if (depth > MAX_DEPTH) {
      return this.fail(`sequences nested deeper than ${MAX_DEPTH} at offset ${pos}`);
    }
    if (item) {
      return this.skipItem(pos, explicit, le, depth);
    }
    for (;;) {
      if (pos + 8 > this.end) {
        return this.short(`data set ends inside a sequence at offset ${pos}`);
      }
      const tag = this.u16(pos, le) * 0x10000 + this.u16(pos + 2, le);
      const length = this.u32(pos + 4, le);
      pos += 8;
      if (tag === SEQUENCE_DELIMITATION) {
        return pos;
      }
      if (tag !== ITEM) {
        return this.fail(`unexpected ${tagName(tag)} in a sequence at offset ${pos - 8}`);
      }
      if (length === UNDEFINED_LENGTH) {
        pos = this.skipItem(pos, explicit, le, depth);
        if (pos < 0) {
          return pos;
        }
      } else if (length % 2 !== 0 && !this.lenient) {
        return this.fail(`item at offset ${pos - 8} has an odd length ${length}`);
      } else if (length > this.end - pos) {
        return this.short(`item at offset ${pos - 8} (length ${length}) overruns the data set`);
      } else {
        pos += length;
      }
    }
  }

  /** pos is just after an item header of undefined length; returns the position after its delimiter. */
  private skipItem(pos: number, explicit: boolean, le: boolean, depth: number): number {
    for (;;) {
      if (pos + 4 > this.end) {
        return this.short(`data set ends inside an item at offset ${pos}`);
      }
      const tag = this.u16(pos, le) * 0x10000 + this.u16(pos + 2, le);
      if (tag === ITEM_DELIMITATION) {
        return pos + 8 > this.end ? this.short(`data set ends inside an item delimiter at offset ${pos}`) : pos + 8;
      }
      if (tag >>> 16 === 0xfffe) {
        return this.fail(`unexpected ${tagName(tag)} in an item at offset ${pos}`);
      }
      const read = this.readHeaderAs(pos, explicit, le);
      if (read !== OK) {
        return read;
      }
      pos = this.skipValueAs(explicit, le, depth);
      if (pos < 0) {
        return pos;
      }
    }
  }
}

/**
 * Walks a DIMSE command set (implicit VR little endian, group 0000, PS3.7 6.3.1) in buf[start, end),
 * calling `visit` with each element's number and value range; `visit` returns true to stop early.
 * Returns the position the walk stopped at (end when it read every element), or undefined when an
 * element is not of group 0000 or its value runs past the end.
 */
export function walkCommandSet(
  buf: Buffer,
  start: number,
  end: number,
  visit: (elementNumber: number, valueStart: number, length: number) => boolean | void,
): number | undefined {
  const reader = new ElementReader(buf, { explicitVr: false, littleEndian: true }, true);
  let position = start;
  while (position + 8 <= end) {
    reader.readHeader(position);
    const { tag, length, valueStart } = reader;
    if (tag >>> 16 !== 0x0000 || length > end - valueStart) {
      return undefined;
    }
    position = valueStart + length;
    if (visit(tag & 0xffff, valueStart, length) === true) {
      return position;
    }
  }
  return position;
}
