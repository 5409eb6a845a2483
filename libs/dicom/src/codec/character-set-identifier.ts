import { data as dcmjsData } from 'dcmjs';
import { CHARACTER_SET_VRS, characterSetTerms, decodeText, encodeText, isKnownCharacterSet } from './character-set';
import { ElementReader } from './element-reader';
import { datasetEncoding } from './transfer-syntax';
import { UNDEFINED_LENGTH, hasShortLength, tagName } from './vr';

/**
 * C-FIND and C-MOVE identifiers in their character sets: the text keys of a request as its own
 * Specific Character Set says, and a response written in the set the caller asked in when every value
 * fits it, else in ISO_IR 192 (UTF-8), with (0008,0005) saying which.
 */

interface DictionaryEntry {
  tag: string;
  vr: string;
  name?: string;
}

const dictionary = (
  dcmjsData as {
    DicomMetaDictionary: {
      nameMap: Record<string, DictionaryEntry>;
      dictionary: Record<string, DictionaryEntry>;
    };
  }
).DicomMetaDictionary;

const SPECIFIC_CHARACTER_SET = 0x00080005;

function entryOfTag(tag: number): DictionaryEntry | undefined {
  const hex = tag.toString(16).toUpperCase().padStart(8, '0');
  return dictionary.dictionary[`(${hex.slice(0, 4)},${hex.slice(4)})`];
}

export interface IdentifierText {
  /** The request's (0008,0005) as sent; undefined when absent. */
  specificCharacterSet?: string;
  /** Keyword → decoded text, for the top-level text elements (SH, LO, ST, LT, UT, PN, UC). */
  text: Record<string, string>;
}

/**
 * The text keys of an identifier (a little endian data set as received), decoded per its Specific
 * Character Set. Throws on a data set it cannot walk.
 */
export function readIdentifierText(dataset: Buffer, transferSyntaxUid: string): IdentifierText {
  const encoding = datasetEncoding(transferSyntaxUid);
  const reader = new ElementReader(
    dataset,
    { explicitVr: encoding.explicitVr, littleEndian: encoding.littleEndian },
    true,
    {
      lenient: true,
    },
  );
  const result: IdentifierText = { text: {} };
  let position = 0;
  while (position + 8 <= dataset.length) {
    const end = reader.elementEnd(position);
    if (end < 0) {
      throw new Error(`identifier element ${tagName(reader.tag)}: ${reader.reason}`);
    }
    const { tag, length, valueStart } = reader;
    position = end;
    const entry = entryOfTag(tag);
    const vr = encoding.explicitVr ? String.fromCharCode(reader.vr >> 8, reader.vr & 0xff) : entry?.vr;
    if (length === UNDEFINED_LENGTH || !entry?.name) {
      continue;
    }
    const value = dataset.subarray(valueStart, valueStart + length);
    if (tag === SPECIFIC_CHARACTER_SET) {
      result.specificCharacterSet = value.toString('latin1').replace(/[\0 ]+$/, '');
    } else if (vr && CHARACTER_SET_VRS.has(vr)) {
      const text = decodeText(value, result.specificCharacterSet, { personName: vr === 'PN' });
      result.text[entry.name] = text.replace(/[\0 ]+$/, '').replace(/^ +/, '');
    }
  }
  return result;
}

export interface EncodedIdentifier {
  dataset: Buffer;
  /** The (0008,0005) the response declares; undefined when every value is in the default repertoire. */
  specificCharacterSet?: string;
}

/** The set a response is written in: the caller's when every text value fits it, else ISO_IR 192. */
export function responseCharacterSet(
  values: Record<string, string>,
  requested: string | undefined,
): string | undefined {
  const fits = (characterSet: string | undefined) =>
    Object.entries(values).every(([keyword, value]) => {
      const vr = dictionary.nameMap[keyword]?.vr;
      return (
        !vr || !CHARACTER_SET_VRS.has(vr) || encodeText(value, characterSet, { personName: vr === 'PN' }) !== undefined
      );
    });
  // A set the hub does not know is not one it can write in.
  const declared = characterSetTerms(requested).length > 0 && isKnownCharacterSet(requested) ? requested : undefined;
  if (fits(declared)) {
    return declared;
  }
  return 'ISO_IR 192';
}

/**
 * An identifier (keyword → value, as strings; multiple values joined by '\') as a little endian data
 * set, its text in the character set responseCharacterSet chooses. Keywords the dictionary does not
 * know are left out.
 */
export function encodeIdentifier(
  values: Record<string, string>,
  requestedCharacterSet: string | undefined,
  transferSyntaxUid: string,
): EncodedIdentifier {
  const explicit = datasetEncoding(transferSyntaxUid).explicitVr;
  const specificCharacterSet = responseCharacterSet(values, requestedCharacterSet);
  const elements: { tag: number; vr: string; value: Buffer }[] = [];
  if (specificCharacterSet) {
    elements.push({ tag: SPECIFIC_CHARACTER_SET, vr: 'CS', value: Buffer.from(specificCharacterSet, 'latin1') });
  }
  for (const [keyword, value] of Object.entries(values)) {
    const entry = dictionary.nameMap[keyword];
    if (!entry || keyword === 'SpecificCharacterSet') {
      continue;
    }
    const vr = entry.vr.split('|')[0];
    const [group, element] = entry.tag.slice(1, -1).split(',');
    const bytes = CHARACTER_SET_VRS.has(vr)
      ? (encodeText(value, specificCharacterSet, { personName: vr === 'PN' }) ?? Buffer.from(value, 'utf8'))
      : Buffer.from(value, 'latin1');
    elements.push({ tag: parseInt(group + element, 16), vr, value: bytes });
  }
  elements.sort((a, b) => a.tag - b.tag);
  return {
    dataset: Buffer.concat(elements.map((element) => encodeElement(element.tag, element.vr, element.value, explicit))),
    ...(specificCharacterSet ? { specificCharacterSet } : {}),
  };
}

function encodeElement(tag: number, vr: string, value: Buffer, explicit: boolean): Buffer {
  const bytes = value.length % 2 === 1 ? Buffer.concat([value, Buffer.from([vr === 'UI' ? 0x00 : 0x20])]) : value;
  const long = explicit && !hasShortLength(vr);
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16LE(tag >>> 16, 0);
  header.writeUInt16LE(tag & 0xffff, 2);
  if (!explicit) {
    header.writeUInt32LE(bytes.length, 4);
  } else {
    header.write(vr, 4, 'latin1');
    if (long) {
      header.writeUInt32LE(bytes.length, 8);
    } else {
      header.writeUInt16LE(bytes.length, 6);
    }
  }
  return Buffer.concat([header, bytes]);
}
