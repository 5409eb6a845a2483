import { aeTitleProblem, normalizeAeTitle } from './ae-title';
import { ElementReader, OK } from './element-reader';
import { isValidUid, trimUid } from './uid';

// 2.25 root (PS3.5 §B.2): the decimal form of a UUID generated once for the hub.
export const HUB_IMPLEMENTATION_CLASS_UID = '2.25.12996760707319064883401614998443252547';
export const HUB_IMPLEMENTATION_VERSION = 'IEHUB_0.1';

const PREAMBLE_LENGTH = 128;
const META_START = PREAMBLE_LENGTH + 4;
const MAX_VERSION_NAME_LENGTH = 16;

export interface Part10HeaderFields {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  sourceAeTitle: string;
  implementationClassUid?: string;
  implementationVersionName?: string;
}

function shortElement(element: number, vr: string, value: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16LE(0x0002, 0);
  header.writeUInt16LE(element, 2);
  header.write(vr, 4, 'latin1');
  header.writeUInt16LE(value.length, 6);
  return Buffer.concat([header, value]);
}

function padded(value: string, pad: number): Buffer {
  const bytes = Buffer.from(value, 'latin1');
  return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.from([pad])]);
}

function uidValue(name: string, value: string): Buffer {
  const uid = trimUid(value);
  if (!isValidUid(uid)) {
    throw new Error(`${name} is not a valid UID: ${JSON.stringify(value)}`);
  }
  return padded(uid, 0x00);
}

/**
 * Preamble, 'DICM' and the file meta information group (explicit VR LE) for a data set stored as
 * received. Throws on invalid input: the caller validates identifiers before writing anything.
 */
export function buildPart10Header(fields: Part10HeaderFields): Buffer {
  const aeTitle = normalizeAeTitle(fields.sourceAeTitle);
  const aeProblem = aeTitleProblem(aeTitle);
  if (aeProblem !== undefined) {
    throw new Error(`sourceAeTitle is invalid: ${aeProblem}`);
  }
  const versionName = (fields.implementationVersionName ?? HUB_IMPLEMENTATION_VERSION).trim();
  if (versionName.length > MAX_VERSION_NAME_LENGTH || !/^[\x20-\x5b\x5d-\x7e]*$/.test(versionName)) {
    throw new Error(`implementationVersionName is invalid: ${JSON.stringify(versionName)}`);
  }

  const versionElement = Buffer.from([0x02, 0x00, 0x01, 0x00, 0x4f, 0x42, 0, 0, 2, 0, 0, 0, 0x00, 0x01]);
  const elements = [
    versionElement,
    shortElement(0x0002, 'UI', uidValue('sopClassUid', fields.sopClassUid)),
    shortElement(0x0003, 'UI', uidValue('sopInstanceUid', fields.sopInstanceUid)),
    shortElement(0x0010, 'UI', uidValue('transferSyntaxUid', fields.transferSyntaxUid)),
    shortElement(
      0x0012,
      'UI',
      uidValue('implementationClassUid', fields.implementationClassUid ?? HUB_IMPLEMENTATION_CLASS_UID),
    ),
    shortElement(0x0013, 'SH', padded(versionName, 0x20)),
    shortElement(0x0016, 'AE', padded(aeTitle, 0x20)),
  ];
  const groupLength = elements.reduce((sum, element) => sum + element.length, 0);

  const head = Buffer.alloc(META_START + 12);
  head.write('DICM', PREAMBLE_LENGTH, 'latin1');
  head.writeUInt16LE(0x0002, META_START);
  head.writeUInt16LE(0x0000, META_START + 2);
  head.write('UL', META_START + 4, 'latin1');
  head.writeUInt16LE(4, META_START + 6);
  head.writeUInt32LE(groupLength, META_START + 8);
  return Buffer.concat([head, ...elements]);
}

export interface Part10Parts {
  meta: Buffer;
  dataset: Buffer;
  transferSyntaxUid: string;
}

interface MetaWalk {
  end: number;
  transferSyntaxUid?: string;
}

/** Walks explicit VR LE group 0002 elements from META_START up to limit, or while the group is 0002. */
function walkMeta(file: Buffer, limit: number | undefined): MetaWalk | undefined {
  const reader = new ElementReader(file, { explicitVr: true, littleEndian: true }, true, { lenient: true });
  const stop = limit ?? file.length;
  let pos = META_START;
  let transferSyntaxUid: string | undefined;
  while (pos < stop) {
    if (pos + 8 > file.length || file.readUInt16LE(pos) !== 0x0002) {
      break;
    }
    if (reader.readHeader(pos) !== OK) {
      return undefined;
    }
    const { tag, length, valueStart } = reader;
    if (valueStart + length > file.length) {
      return undefined;
    }
    if (tag === 0x00020010) {
      transferSyntaxUid = trimUid(file.toString('latin1', valueStart, valueStart + length));
    }
    pos = valueStart + length;
  }
  return limit === undefined || pos === limit ? { end: pos, transferSyntaxUid } : undefined;
}

/**
 * Splits a Part-10 file into its preamble plus meta group and its data set (bytes as stored). Trusts
 * (0002,0000) when walking the group lands exactly on it, else walks while the group is 0002.
 */
export function splitPart10(file: Buffer): Part10Parts {
  if (file.length < META_START || file.toString('latin1', PREAMBLE_LENGTH, META_START) !== 'DICM') {
    throw new Error('not a DICOM Part-10 file: no DICM prefix');
  }
  let walk: MetaWalk | undefined;
  if (
    file.length >= META_START + 12 &&
    file.readUInt32LE(META_START) === 0x00000002 &&
    file.toString('latin1', META_START + 4, META_START + 6) === 'UL' &&
    file.readUInt16LE(META_START + 6) === 4
  ) {
    const limit = META_START + 12 + file.readUInt32LE(META_START + 8);
    if (limit <= file.length) {
      walk = walkMeta(file, limit);
    }
  }
  walk ??= walkMeta(file, undefined);
  if (walk === undefined) {
    throw new Error('file meta information is truncated');
  }
  if (walk.transferSyntaxUid === undefined) {
    throw new Error('file meta information has no TransferSyntaxUID (0002,0010)');
  }
  return {
    meta: file.subarray(0, walk.end),
    dataset: file.subarray(walk.end),
    transferSyntaxUid: walk.transferSyntaxUid,
  };
}
