import { MAX_DEPTH } from './element-reader';
import { DatasetEncoding } from './transfer-syntax';
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
/** The longest element header: tag, VR, reserved, 4-byte length (explicit VR, PS3.5 7.1.2). */
const LONGEST_HEADER = 12;

/** An open sequence, item or run of pixel data fragments, with where it ends when its length is defined. */
interface Frame {
  kind: 'sequence' | 'item' | 'fragments';
  tag: number;
  /** Offset just past it, or undefined for an undefined length closed by a delimiter. */
  end?: number;
  /** The encoding inside (an UN sequence of undefined length holds implicit VR LE, PS3.5 6.2.2). */
  explicitVr: boolean;
}

/**
 * Checks a data set's structure as its fragments stream in, without keeping them: every element
 * header must parse, every value must fit, every item and sequence must close, and the data set must
 * end exactly at the end of an element. It reads headers only and skips values, so its cost is per
 * element, not per byte. A data set cut short (its last element declaring more than arrived) is the
 * case it exists for: a file like that must never be answered Success.
 *
 * A deflated data set is not walked (its bytes are compressed); the header scan still reads it.
 */
export class DatasetStructureCheck {
  private offset = 0;
  /** Bytes of value still to skip before the next header. */
  private skipping = 0;
  /** The element whose value is being skipped, for the message if the data set ends inside it. */
  private current?: { tag: number; declared: number; valueStart: number };
  /** Header bytes carried over from the previous fragment (fewer than one header). */
  private carried = Buffer.alloc(0);
  private readonly stack: Frame[] = [];
  private problem?: string;

  constructor(private readonly encoding: DatasetEncoding) {}

  /** The first problem found so far, if any. */
  get failure(): string | undefined {
    return this.problem;
  }

  push(fragment: Buffer): void {
    if (this.problem !== undefined || this.encoding.deflated) {
      return;
    }
    let position = 0;
    while (position < fragment.length && this.problem === undefined) {
      if (this.skipping > 0) {
        const take = Math.min(this.skipping, fragment.length - position);
        this.skipping -= take;
        this.offset += take;
        position += take;
        continue;
      }
      if (this.carried.length > 0) {
        // Join just enough of this fragment to the carried bytes to read one header.
        const joined = Buffer.concat([this.carried, fragment.subarray(position, position + LONGEST_HEADER)]);
        const used = this.readHeader(joined, 0);
        if (used === 0) {
          this.carried = joined;
          return;
        }
        position += used - this.carried.length;
        this.carried = Buffer.alloc(0);
        continue;
      }
      const used = this.readHeader(fragment, position);
      if (used === 0) {
        this.carried = Buffer.from(fragment.subarray(position));
        return;
      }
      position += used;
    }
  }

  /** The data set has ended: the problem with it, or undefined if its structure is whole. */
  end(): string | undefined {
    if (this.problem !== undefined || this.encoding.deflated) {
      return this.problem;
    }
    if (this.skipping > 0 && this.current) {
      const { tag, declared, valueStart } = this.current;
      return this.fail(
        `${tagName(tag)} declares ${declared} bytes at offset ${valueStart}, the data set ends after ${this.offset - valueStart}`,
      );
    }
    if (this.carried.length > 0) {
      return this.fail(`the data set ends inside an element header at offset ${this.offset}`);
    }
    this.closeDefinedFrames();
    const open = this.stack.at(-1);
    if (open) {
      return this.fail(`the data set ends inside ${describe(open)}`);
    }
    return this.problem;
  }

  /**
   * Reads one header at buf[position]; returns the bytes it took (its value is then skipped), or 0 when
   * buf does not yet hold the whole header.
   */
  private readHeader(buf: Buffer, position: number): number {
    this.closeDefinedFrames();
    if (this.problem !== undefined) {
      return 1;
    }
    const available = buf.length - position;
    if (available < 8) {
      return 0;
    }
    const le = this.encoding.littleEndian;
    const tag = le
      ? ((buf.readUInt16LE(position) << 16) | buf.readUInt16LE(position + 2)) >>> 0
      : ((buf.readUInt16BE(position) << 16) | buf.readUInt16BE(position + 2)) >>> 0;
    const frame = this.stack.at(-1);
    const explicitVr = frame ? frame.explicitVr : this.encoding.explicitVr;
    if (tag >>> 16 === 0xfffe) {
      const length = le ? buf.readUInt32LE(position + 4) : buf.readUInt32BE(position + 4);
      this.delimiterOrItem(tag, length, frame);
      return 8;
    }
    if (frame && frame.kind !== 'item') {
      this.fail(`${tagName(tag)} at offset ${this.offset} inside ${describe(frame)}, where only items may be`);
      return 1;
    }
    let vr = 0;
    let length: number;
    let headerLength = 8;
    if (explicitVr) {
      vr = (buf[position + 4] << 8) | buf[position + 5];
      if (!isUpper(buf[position + 4]) || !isUpper(buf[position + 5])) {
        this.fail(`${tagName(tag)} at offset ${this.offset} has an invalid VR`);
        return 1;
      }
      if (SHORT_LENGTH_VRS.has(vr)) {
        length = le ? buf.readUInt16LE(position + 6) : buf.readUInt16BE(position + 6);
      } else {
        if (available < 12) {
          return 0;
        }
        length = le ? buf.readUInt32LE(position + 8) : buf.readUInt32BE(position + 8);
        headerLength = 12;
      }
    } else {
      length = le ? buf.readUInt32LE(position + 4) : buf.readUInt32BE(position + 4);
    }
    const headerOffset = this.offset;
    this.offset += headerLength;
    if (length === UNDEFINED_LENGTH) {
      if (!explicitVr || vr === VR_SQ) {
        this.open({ kind: 'sequence', tag, explicitVr });
      } else if (vr === VR_UN) {
        this.open({ kind: 'sequence', tag, explicitVr: false });
      } else if (tag === PIXEL_DATA && (vr === VR_OB || vr === VR_OW)) {
        this.open({ kind: 'fragments', tag, explicitVr });
      } else {
        this.fail(`${tagName(tag)} at offset ${headerOffset} has an undefined length`);
      }
      return headerLength;
    }
    if (explicitVr && vr === VR_SQ) {
      this.open({ kind: 'sequence', tag, explicitVr, end: this.offset + length });
      return headerLength;
    }
    this.value(tag, length);
    return headerLength;
  }

  private delimiterOrItem(tag: number, length: number, frame: Frame | undefined): void {
    const at = this.offset;
    this.offset += 8;
    if (tag === ITEM) {
      if (!frame || frame.kind === 'item') {
        this.fail(`an item at offset ${at} outside a sequence`);
      } else if (frame.kind === 'fragments') {
        if (length === UNDEFINED_LENGTH) {
          this.fail(`a pixel data fragment at offset ${at} has an undefined length`);
        } else {
          this.value(tag, length);
        }
      } else if (length === UNDEFINED_LENGTH) {
        this.open({ kind: 'item', tag, explicitVr: frame.explicitVr });
      } else {
        this.open({ kind: 'item', tag, explicitVr: frame.explicitVr, end: this.offset + length });
      }
      return;
    }
    if (length !== 0) {
      this.fail(`delimiter ${tagName(tag)} at offset ${at} has length ${length} (0 expected)`);
      return;
    }
    const closes = tag === ITEM_DELIMITATION ? 'item' : tag === SEQUENCE_DELIMITATION ? 'sequence' : undefined;
    if (!frame || !closes || frame.end !== undefined || (frame.kind === 'item') !== (closes === 'item')) {
      this.fail(`unexpected ${tagName(tag)} at offset ${at}${frame ? ` inside ${describe(frame)}` : ''}`);
      return;
    }
    this.stack.pop();
  }

  /** A value of `length` bytes follows: skip it, checking it fits in whatever contains it. */
  private value(tag: number, length: number): void {
    const frame = this.stack.at(-1);
    if (frame?.end !== undefined && this.offset + length > frame.end) {
      this.fail(`${tagName(tag)} at offset ${this.offset} (length ${length}) runs past the end of ${describe(frame)}`);
      return;
    }
    this.current = { tag, declared: length, valueStart: this.offset };
    this.skipping = length;
  }

  private open(frame: Frame): void {
    const outer = this.stack.at(-1);
    if (frame.end !== undefined && outer?.end !== undefined && frame.end > outer.end) {
      this.fail(`${describe(frame)} runs past the end of ${describe(outer)}`);
      return;
    }
    if (this.stack.length >= MAX_DEPTH) {
      this.fail(`sequences nested deeper than ${MAX_DEPTH} at offset ${this.offset}`);
      return;
    }
    this.stack.push(frame);
  }

  /** Closes the defined-length items and sequences the offset has reached. */
  private closeDefinedFrames(): void {
    for (let frame = this.stack.at(-1); frame?.end !== undefined; frame = this.stack.at(-1)) {
      if (this.offset < frame.end) {
        return;
      }
      if (this.offset > frame.end) {
        this.fail(`${describe(frame)} ends at offset ${frame.end} inside an element`);
        return;
      }
      this.stack.pop();
    }
  }

  private fail(problem: string): string {
    this.problem ??= problem;
    this.skipping = 0;
    return this.problem;
  }
}

function describe(frame: Frame): string {
  switch (frame.kind) {
    case 'sequence':
      return `the sequence ${tagName(frame.tag)}`;
    case 'item':
      return 'an item';
    case 'fragments':
      return `the pixel data fragments of ${tagName(frame.tag)}`;
  }
}

function isUpper(byte: number): boolean {
  return byte >= 0x41 && byte <= 0x5a;
}
