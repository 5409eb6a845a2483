import { resolveTag } from '@hub/coercion';
import { data as dcmjsData } from 'dcmjs';

/** One attribute of the DICOM JSON model (PS3.18 F.2). */
export interface DicomJsonAttribute {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}

export type DicomJsonDataset = Record<string, DicomJsonAttribute>;

const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const NUMBER_VRS = new Set(['IS', 'DS', 'FL', 'FD', 'SL', 'SS', 'UL', 'US', 'SV', 'UV']);
const PIXEL_DATA = '7FE00010';
/** Binary values up to this size travel inline (base64); larger ones, and pixel data, as bulk data URIs. */
const INLINE_BINARY_LIMIT = 1024;

/** The eight-hex-digit tag of a keyword (PatientID → 00100020), or of a tag given in hex already. */
export function tagHex(keywordOrTag: string): string | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(keywordOrTag)) {
    return keywordOrTag.toUpperCase();
  }
  const resolved = resolveTag(keywordOrTag);
  return resolved ? resolved.tag.toString(16).toUpperCase().padStart(8, '0') : undefined;
}

/** The keyword of an eight-hex-digit tag, or undefined when the dictionary does not know it. */
export function keywordOf(hex: string): string | undefined {
  const key = `(${hex.slice(0, 4).toUpperCase()},${hex.slice(4).toUpperCase()})`;
  const entry = (dcmjsData as unknown as { DicomMetaDictionary: { dictionary: Record<string, { name?: string }> } })
    .DicomMetaDictionary.dictionary[key];
  return entry?.name;
}

/**
 * Query attribute values (keyword → DICOM string, backslash for several values) as DICOM JSON, each with the
 * VR the dictionary gives; an empty value is an attribute with no Value, as QIDO-RS answers unknown ones.
 */
export function attributesToJson(values: Record<string, string | undefined>): DicomJsonDataset {
  const dataset: DicomJsonDataset = {};
  for (const [keyword, value] of Object.entries(values)) {
    const resolved = resolveTag(keyword);
    if (!resolved) {
      continue;
    }
    const hex = resolved.tag.toString(16).toUpperCase().padStart(8, '0');
    const vr = resolved.vr;
    if (value === undefined || value === '') {
      dataset[hex] = { vr };
      continue;
    }
    const parts = value.split('\\');
    dataset[hex] = {
      vr,
      Value: parts.map((part) =>
        vr === 'PN' ? { Alphabetic: part } : NUMBER_VRS.has(vr) && part.trim() !== '' ? Number(part) : part,
      ),
    };
  }
  return sortByTag(dataset);
}

function sortByTag(dataset: DicomJsonDataset): DicomJsonDataset {
  return Object.fromEntries(Object.entries(dataset).sort(([a], [b]) => a.localeCompare(b)));
}

interface DcmjsElement {
  vr: string;
  Value?: unknown[];
}

/**
 * A data set as dcmjs read it (its `dict`) in the DICOM JSON model: pixel data and large binary values
 * become bulk data URIs (`bulkDataUri(tag)`), small binary values travel inline, sequences recurse.
 */
export function dcmjsToDicomJson(
  dict: Record<string, DcmjsElement>,
  bulkDataUri: (tag: string) => string,
  topLevel = true,
): DicomJsonDataset {
  const dataset: DicomJsonDataset = {};
  for (const [tag, element] of Object.entries(dict)) {
    // A value dcmjs stopped before (untilTag: the pixel data) has neither VR nor values.
    const vr = element.vr ?? 'OB';
    const values = Array.isArray(element.Value) ? element.Value : [];
    if (BINARY_VRS.has(vr) || (topLevel && tag === PIXEL_DATA)) {
      const buffers = values.filter((value): value is ArrayBuffer => value instanceof ArrayBuffer);
      const size = buffers.reduce((total, buffer) => total + buffer.byteLength, 0);
      if (topLevel && (tag === PIXEL_DATA || size > INLINE_BINARY_LIMIT)) {
        dataset[tag] = { vr, BulkDataURI: bulkDataUri(tag) };
      } else if (size > 0) {
        dataset[tag] = {
          vr,
          InlineBinary: Buffer.concat(buffers.map((buffer) => Buffer.from(buffer))).toString('base64'),
        };
      } else {
        dataset[tag] = { vr };
      }
      continue;
    }
    if (vr === 'SQ') {
      dataset[tag] = {
        vr,
        ...(values.length > 0
          ? {
              Value: values.map((item) => dcmjsToDicomJson(item as Record<string, DcmjsElement>, bulkDataUri, false)),
            }
          : {}),
      };
      continue;
    }
    const cleaned = values
      .filter((value) => value !== undefined && value !== null && value !== '')
      .map((value) => (typeof value === 'string' ? value.replace(/\0+$/, '') : value));
    dataset[tag] = cleaned.length > 0 ? { vr, Value: cleaned.map(plainValue) } : { vr };
  }
  return sortByTag(dataset);
}

/** dcmjs's person names and numbers carry accessors; JSON wants plain objects. */
function plainValue(value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const name = value as Record<string, unknown>;
    return Object.fromEntries(
      ['Alphabetic', 'Ideographic', 'Phonetic'].filter((key) => name[key] !== undefined).map((key) => [key, name[key]]),
    );
  }
  return value;
}
