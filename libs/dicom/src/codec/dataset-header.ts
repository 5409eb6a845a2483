import { constants as zlibConstants, inflateRawSync } from 'zlib';
import { datasetEncoding } from './transfer-syntax';
import { trimUid } from './uid';
import { ElementReader, NEED_MORE, OK } from './element-reader';
import { UNDEFINED_LENGTH, VR_SQ, tagName } from './vr';
import { decodeText } from './character-set';

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

/** Values of these VRs are text in the data set's character set; the others are ASCII. */
type Text = 'text' | 'person-name';

const TARGETS = new Map<number, { key: keyof DatasetHeader; trim: Trim; text?: Text }>([
  [0x00080005, { key: 'specificCharacterSet', trim: 'both' }],
  [0x00080016, { key: 'sopClassUid', trim: 'uid' }],
  [0x00080018, { key: 'sopInstanceUid', trim: 'uid' }],
  [0x00080020, { key: 'studyDate', trim: 'trailing' }],
  [0x00080030, { key: 'studyTime', trim: 'trailing' }],
  [0x00080050, { key: 'accessionNumber', trim: 'both', text: 'text' }],
  [0x00080060, { key: 'modality', trim: 'both' }],
  [0x00081030, { key: 'studyDescription', trim: 'both', text: 'text' }],
  [0x00100010, { key: 'patientName', trim: 'trailing', text: 'person-name' }],
  [0x00100020, { key: 'patientId', trim: 'both', text: 'text' }],
  [0x00100021, { key: 'issuerOfPatientId', trim: 'both', text: 'text' }],
  [0x00100030, { key: 'patientBirthDate', trim: 'trailing' }],
  [0x00100040, { key: 'patientSex', trim: 'both' }],
  [0x0020000d, { key: 'studyInstanceUid', trim: 'uid' }],
  [0x0020000e, { key: 'seriesInstanceUid', trim: 'uid' }],
  [0x00200010, { key: 'studyId', trim: 'both', text: 'text' }],
  [0x00200011, { key: 'seriesNumber', trim: 'both' }],
  [0x00200013, { key: 'instanceNumber', trim: 'both' }],
]);

const STOP_TAG = 0x00200013;
// The wanted attributes are short strings; explicit VR cannot even say more than 0xFFFF.
const MAX_VALUE_LENGTH = 0xffff;
// A deflated header may not inflate past this; it bounds a deflate bomb.
const MAX_INFLATED = 16 * HEADER_SCAN_LIMIT;
// Deflate expands at most ~1032:1, so this much input always inflates to less than MAX_INFLATED.
const SAFE_DEFLATED_INPUT = Math.floor(MAX_INFLATED / 1100);
const FIRST_DEFLATED_INPUT = 64 * 1024;

/** Reads the wanted top-level attributes through the element reader; OK, NEED_MORE or MALFORMED. */
function scanTopLevel(reader: ElementReader, header: DatasetHeader): number {
  let pos = 0;
  let previous = -1;
  for (;;) {
    if (pos === reader.end) {
      return reader.complete ? OK : NEED_MORE;
    }
    if (pos + 4 > reader.end) {
      return reader.short(`data set ends inside an element header at offset ${pos}`);
    }
    const tag = reader.tagAt(pos);
    if (tag <= previous) {
      return reader.fail(`tag ${tagName(tag)} at offset ${pos} is not after ${tagName(previous)}`);
    }
    if (tag > STOP_TAG) {
      return OK;
    }
    previous = tag;
    const read = reader.readHeader(pos);
    if (read !== OK) {
      return read;
    }
    const target = TARGETS.get(tag);
    if (target === undefined) {
      pos = reader.skipValue();
      if (pos < 0) {
        return pos;
      }
      continue;
    }
    const { length, valueStart } = reader;
    if (length === UNDEFINED_LENGTH || reader.vr === VR_SQ) {
      return reader.fail(`${tagName(tag)} at offset ${pos} is encoded as a sequence`);
    }
    if (length > MAX_VALUE_LENGTH || length % 2 !== 0) {
      return reader.fail(`${tagName(tag)} at offset ${pos} has an invalid length ${length}`);
    }
    if (length > reader.end - valueStart) {
      return reader.short(`value of ${tagName(tag)} at offset ${pos} (length ${length}) overruns the data set`);
    }
    header[target.key] = decode(reader.buf, valueStart, valueStart + length, target, header.specificCharacterSet);
    pos = valueStart + length;
  }
}

function decode(
  buf: Buffer,
  start: number,
  end: number,
  { trim, text }: { trim: Trim; text?: Text },
  characterSet: string | undefined,
): string {
  if (trim === 'uid') {
    return trimUid(buf.toString('latin1', start, end));
  }
  while (end > start && (buf[end - 1] === 0x20 || buf[end - 1] === 0)) {
    end--;
  }
  if (trim === 'both') {
    while (start < end && buf[start] === 0x20) {
      start++;
    }
  }
  if (text) {
    // (0008,0005) comes first (tags ascend), so every text value is read in the set it declares.
    return decodeText(buf.subarray(start, end), characterSet, { personName: text === 'person-name' });
  }
  return buf.toString('latin1', start, end);
}

function scan(buf: Buffer, explicit: boolean, le: boolean, complete: boolean): HeaderResult {
  const reader = new ElementReader(buf, { explicitVr: explicit, littleEndian: le }, complete);
  const header: DatasetHeader = {};
  const result = scanTopLevel(reader, header);
  if (result === OK) {
    return { status: 'ok', header };
  }
  return result === NEED_MORE ? { status: 'need-more' } : { status: 'malformed', reason: reader.reason };
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
 * arrives in C-STORE PDVs. complete=false means more bytes follow the prefix. Never throws; text values
 * (SH, LO, PN) are decoded per the data set's Specific Character Set (character-set.ts), the others
 * (ASCII by definition) as latin1; all are returned unvalidated.
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
