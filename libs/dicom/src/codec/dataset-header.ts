import { constants as zlibConstants, inflateRawSync } from 'zlib';
import { datasetEncoding } from './transfer-syntax';
import { trimUid } from './uid';

/** How many leading bytes of a data set the caller buffers for one scan. */
export const HEADER_SCAN_LIMIT = 1 << 20;

export interface DatasetHeader {
  specificCharacterSet?: string;
  sopClassUid?: string;
  sopInstanceUid?: string;
  studyDate?: string;
  studyTime?: string;
  accessionNumber?: string;
  modality?: string;
  studyDescription?: string;
  patientName?: string;
  patientId?: string;
  issuerOfPatientId?: string;
  patientBirthDate?: string;
  patientSex?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  studyId?: string;
  seriesNumber?: string;
  instanceNumber?: string;
}

export type HeaderResult =
  { status: 'ok'; header: DatasetHeader } | { status: 'need-more' } | { status: 'malformed'; reason: string };

// 'both' for VRs whose leading spaces are insignificant too (CS, IS, SH, LO; PS3.5 table 6.2-1).
type Trim = 'uid' | 'trailing' | 'both';

const TARGETS = new Map<number, { key: keyof DatasetHeader; trim: Trim }>([
  [0x00080005, { key: 'specificCharacterSet', trim: 'both' }],
  [0x00080016, { key: 'sopClassUid', trim: 'uid' }],
  [0x00080018, { key: 'sopInstanceUid', trim: 'uid' }],
  [0x00080020, { key: 'studyDate', trim: 'trailing' }],
  [0x00080030, { key: 'studyTime', trim: 'trailing' }],
  [0x00080050, { key: 'accessionNumber', trim: 'both' }],
  [0x00080060, { key: 'modality', trim: 'both' }],
  [0x00081030, { key: 'studyDescription', trim: 'both' }],
  [0x00100010, { key: 'patientName', trim: 'trailing' }],
  [0x00100020, { key: 'patientId', trim: 'both' }],
  [0x00100021, { key: 'issuerOfPatientId', trim: 'both' }],
  [0x00100030, { key: 'patientBirthDate', trim: 'trailing' }],
  [0x00100040, { key: 'patientSex', trim: 'both' }],
  [0x0020000d, { key: 'studyInstanceUid', trim: 'uid' }],
  [0x0020000e, { key: 'seriesInstanceUid', trim: 'uid' }],
  [0x00200010, { key: 'studyId', trim: 'both' }],
  [0x00200011, { key: 'seriesNumber', trim: 'both' }],
  [0x00200013, { key: 'instanceNumber', trim: 'both' }],
]);

const STOP_TAG = 0x00200013;
const PIXEL_DATA = 0x7fe00010;
const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const UNDEFINED_LENGTH = 0xffffffff;
const MAX_DEPTH = 32;
// The wanted attributes are short strings; explicit VR cannot even say more than 0xFFFF.
const MAX_VALUE_LENGTH = 0xffff;
// A deflated header may not inflate past this; it bounds a deflate bomb.
const MAX_INFLATED = 16 * HEADER_SCAN_LIMIT;
// Deflate expands at most ~1032:1, so this much input always inflates to less than MAX_INFLATED.
const SAFE_DEFLATED_INPUT = Math.floor(MAX_INFLATED / 1100);
const FIRST_DEFLATED_INPUT = 64 * 1024;

export const vrCode = (vr: string): number => (vr.charCodeAt(0) << 8) | vr.charCodeAt(1);
const VR_SQ = vrCode('SQ');
const VR_UN = vrCode('UN');
const VR_OB = vrCode('OB');
const VR_OW = vrCode('OW');
// Every other VR, including ones defined in the future, has the 4-byte length form (PS3.5 §7.1.2).
export const SHORT_LENGTH_VRS = new Set(
  'AE AS AT CS DA DS DT FL FD IS LO LT PN SH SL SS ST TM UI UL US'.split(' ').map(vrCode),
);

const OK = 0;
const NEED_MORE = -1;
const MALFORMED = -2;

export function tagName(tag: number): string {
  const hex = tag.toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

function isUpper(byte: number): boolean {
  return byte >= 0x41 && byte <= 0x5a;
}

/**
 * Walks element headers without allocating. Methods return a position (>= 0) or NEED_MORE/MALFORMED;
 * the last element header read is left in tag/vr/length/valueStart.
 */
class Scanner {
  reason = '';
  tag = 0;
  vr = 0;
  length = 0;
  valueStart = 0;
  private readonly end: number;

  constructor(
    private readonly buf: Buffer,
    private readonly complete: boolean,
  ) {
    this.end = buf.length;
  }

  scanTopLevel(explicit: boolean, le: boolean, header: DatasetHeader): number {
    let pos = 0;
    let previous = -1;
    for (;;) {
      if (pos === this.end) {
        return this.complete ? OK : NEED_MORE;
      }
      if (pos + 4 > this.end) {
        return this.short(`data set ends inside an element header at offset ${pos}`);
      }
      const tag = this.tagAt(pos, le);
      if (tag <= previous) {
        return this.fail(`tag ${tagName(tag)} at offset ${pos} is not after ${tagName(previous)}`);
      }
      if (tag > STOP_TAG) {
        return OK;
      }
      previous = tag;
      const read = this.readElementHeader(pos, explicit, le);
      if (read !== OK) {
        return read;
      }
      const target = TARGETS.get(tag);
      if (target === undefined) {
        pos = this.skipValue(explicit, le, 0);
        if (pos < 0) {
          return pos;
        }
        continue;
      }
      const { length, valueStart } = this;
      if (length === UNDEFINED_LENGTH || (explicit && this.vr === VR_SQ)) {
        return this.fail(`${tagName(tag)} at offset ${pos} is encoded as a sequence`);
      }
      if (length > MAX_VALUE_LENGTH || length % 2 !== 0) {
        return this.fail(`${tagName(tag)} at offset ${pos} has an invalid length ${length}`);
      }
      if (length > this.end - valueStart) {
        return this.short(`value of ${tagName(tag)} at offset ${pos} (length ${length}) overruns the data set`);
      }
      header[target.key] = this.decode(valueStart, valueStart + length, target.trim);
      pos = valueStart + length;
    }
  }

  private readElementHeader(pos: number, explicit: boolean, le: boolean): number {
    if (pos + 8 > this.end) {
      return this.short(`data set ends inside an element header at offset ${pos}`);
    }
    const tag = this.tagAt(pos, le);
    this.tag = tag;
    if (!explicit || tag >>> 16 === 0xfffe) {
      this.vr = 0;
      this.length = this.u32(pos + 4, le);
      this.valueStart = pos + 8;
      return OK;
    }
    const b0 = this.buf[pos + 4];
    const b1 = this.buf[pos + 5];
    if (!isUpper(b0) || !isUpper(b1)) {
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

  /** Skips the value of the element header just read; returns the position after it. */
  private skipValue(explicit: boolean, le: boolean, depth: number): number {
    const { tag, vr, length, valueStart } = this;
    if (length === UNDEFINED_LENGTH) {
      if (!explicit || vr === VR_SQ) {
        return this.skipSequence(valueStart, explicit, le, depth + 1);
      }
      // PS3.5 §6.2.2: an UN of undefined length holds a sequence in implicit VR little endian.
      if (vr === VR_UN) {
        return this.skipSequence(valueStart, false, true, depth + 1);
      }
      // Encapsulated pixel data: fragments are items of defined length, closed by a sequence delimiter.
      if (tag === PIXEL_DATA && (vr === VR_OB || vr === VR_OW)) {
        return this.skipSequence(valueStart, explicit, le, depth + 1);
      }
      return this.fail(`${tagName(tag)} at offset ${valueStart} has an undefined length`);
    }
    if (length % 2 !== 0) {
      return this.fail(`${tagName(tag)} at offset ${valueStart} has an odd length ${length}`);
    }
    if (length > this.end - valueStart) {
      return this.short(`value of ${tagName(tag)} at offset ${valueStart} (length ${length}) overruns the data set`);
    }
    return valueStart + length;
  }

  /** pos is just after a header of undefined length; returns the position after its sequence delimiter. */
  private skipSequence(pos: number, explicit: boolean, le: boolean, depth: number): number {
    if (depth > MAX_DEPTH) {
      return this.fail(`sequences nested deeper than ${MAX_DEPTH} at offset ${pos}`);
    }
    for (;;) {
      if (pos + 8 > this.end) {
        return this.short(`data set ends inside a sequence at offset ${pos}`);
      }
      const tag = this.tagAt(pos, le);
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
      } else if (length % 2 !== 0) {
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
      const tag = this.tagAt(pos, le);
      if (tag === ITEM_DELIMITATION) {
        return pos + 8 > this.end ? this.short(`data set ends inside an item delimiter at offset ${pos}`) : pos + 8;
      }
      if (tag >>> 16 === 0xfffe) {
        return this.fail(`unexpected ${tagName(tag)} in an item at offset ${pos}`);
      }
      const read = this.readElementHeader(pos, explicit, le);
      if (read !== OK) {
        return read;
      }
      pos = this.skipValue(explicit, le, depth);
      if (pos < 0) {
        return pos;
      }
    }
  }

  private decode(start: number, end: number, trim: Trim): string {
    if (trim === 'uid') {
      return trimUid(this.buf.toString('latin1', start, end));
    }
    const buf = this.buf;
    while (end > start && (buf[end - 1] === 0x20 || buf[end - 1] === 0)) {
      end--;
    }
    if (trim === 'both') {
      while (start < end && buf[start] === 0x20) {
        start++;
      }
    }
    return buf.toString('latin1', start, end);
  }

  private u16(pos: number, le: boolean): number {
    const buf = this.buf;
    return le ? buf[pos] | (buf[pos + 1] << 8) : (buf[pos] << 8) | buf[pos + 1];
  }

  private u32(pos: number, le: boolean): number {
    const buf = this.buf;
    return le
      ? (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16)) + buf[pos + 3] * 0x1000000
      : buf[pos] * 0x1000000 + ((buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]);
  }

  private tagAt(pos: number, le: boolean): number {
    return this.u16(pos, le) * 0x10000 + this.u16(pos + 2, le);
  }

  private fail(reason: string): number {
    this.reason = reason;
    return MALFORMED;
  }

  private short(reason: string): number {
    return this.complete ? this.fail(reason) : NEED_MORE;
  }
}

function scan(buf: Buffer, explicit: boolean, le: boolean, complete: boolean): HeaderResult {
  const scanner = new Scanner(buf, complete);
  const header: DatasetHeader = {};
  const result = scanner.scanTopLevel(explicit, le, header);
  if (result === OK) {
    return { status: 'ok', header };
  }
  return result === NEED_MORE ? { status: 'need-more' } : { status: 'malformed', reason: scanner.reason };
}

function inflate(input: Buffer, complete: boolean): Buffer {
  return inflateRawSync(input, {
    // Z_FINISH makes a truncated stream an error, which is what a complete data set must not be.
    finishFlush: complete ? zlibConstants.Z_FINISH : zlibConstants.Z_SYNC_FLUSH,
    maxOutputLength: MAX_INFLATED,
  });
}

function inflateBounded(input: Buffer, complete: boolean): { data: Buffer; complete: boolean; capped: boolean } {
  try {
    return { data: inflate(input, complete), complete, capped: false };
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_BUFFER_TOO_LARGE') {
      throw error;
    }
    return { data: inflate(input.subarray(0, SAFE_DEFLATED_INPUT), false), complete: false, capped: true };
  }
}

function scanDeflated(prefix: Buffer, complete: boolean): HeaderResult {
  const tooLarge: HeaderResult = {
    status: 'malformed',
    reason: `deflated header inflates to more than ${MAX_INFLATED} bytes`,
  };
  try {
    // The header is near the start; most scans never need to inflate the whole prefix.
    if (prefix.length > FIRST_DEFLATED_INPUT) {
      const first = inflateBounded(prefix.subarray(0, FIRST_DEFLATED_INPUT), false);
      const result = scan(first.data, true, true, false);
      if (result.status !== 'need-more') {
        return result;
      }
      if (first.capped) {
        return tooLarge;
      }
    }
    const all = inflateBounded(prefix, complete);
    const result = scan(all.data, true, true, all.complete);
    return result.status === 'need-more' && all.capped ? tooLarge : result;
  } catch (error) {
    return { status: 'malformed', reason: `deflate: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Reads the identifying attributes from the start of a raw data set (no preamble, no file meta), as it
 * arrives in C-STORE PDVs. complete=false means more bytes follow the prefix. Never throws; values are
 * latin1 decoded (Buffer.from(value, 'latin1') gives back the exact bytes) and returned unvalidated.
 */
export function readDatasetHeader(prefix: Buffer, tsUid: string, opts: { complete: boolean }): HeaderResult {
  try {
    const encoding = datasetEncoding(tsUid);
    if (encoding.deflated) {
      return scanDeflated(prefix, opts.complete);
    }
    return scan(prefix, encoding.explicitVr, encoding.littleEndian, opts.complete);
  } catch (error) {
    // Only a bug gets here: the scanner checks every bound itself.
    return { status: 'malformed', reason: `header scan failed: ${String(error)}` };
  }
}
