import { keywordOf, tagHex } from './dicom-json';

export type QidoLevel = 'study' | 'series' | 'instance';

/** A QIDO-RS request (PS3.18 8.3.4) as the hub matches it: keys by keyword, paging and extra return keys. */
export interface QidoQuery {
  /** Keyword → value to match; an empty value asks for the attribute back. */
  keys: Record<string, string>;
  limit?: number;
  offset: number;
  /** Attributes asked back besides the level's defaults (keywords); `all` for every one the hub has. */
  includeFields: string[] | 'all';
}

export class QidoQueryError extends Error {}

/** What each level answers without includefield (PS3.18 table 10.6.3-3, of what the hub records). */
export const DEFAULT_RETURN_KEYS: Record<QidoLevel, string[]> = {
  study: [
    'StudyDate',
    'StudyTime',
    'AccessionNumber',
    'ModalitiesInStudy',
    'PatientName',
    'PatientID',
    'IssuerOfPatientID',
    'PatientBirthDate',
    'PatientSex',
    'StudyID',
    'StudyInstanceUID',
    'StudyDescription',
    'NumberOfStudyRelatedSeries',
    'NumberOfStudyRelatedInstances',
  ],
  series: ['Modality', 'SeriesInstanceUID', 'SeriesNumber', 'NumberOfSeriesRelatedInstances'],
  instance: ['SOPClassUID', 'SOPInstanceUID', 'InstanceNumber', 'AvailableTransferSyntaxUID'],
};

const MAX_LIMIT = 1000;

/** Reads the query string of a QIDO-RS request; a 400 names the parameter that is wrong. */
export function parseQidoQuery(query: Record<string, unknown>): QidoQuery {
  const keys: Record<string, string> = {};
  let limit: number | undefined;
  let offset = 0;
  let includeFields: string[] | 'all' = [];
  for (const [name, raw] of Object.entries(query)) {
    const values = (Array.isArray(raw) ? raw : [raw]).map((value) => String(value));
    if (name === 'limit' || name === 'offset') {
      const number = Number(values[values.length - 1]);
      if (!Number.isInteger(number) || number < 0 || (name === 'limit' && number === 0)) {
        throw new QidoQueryError(`${name}: expected a ${name === 'limit' ? 'positive' : 'non-negative'} integer`);
      }
      if (name === 'limit') {
        limit = Math.min(number, MAX_LIMIT);
      } else {
        offset = number;
      }
      continue;
    }
    if (name === 'includefield') {
      const fields = values.flatMap((value) => value.split(',')).map((field) => field.trim());
      if (fields.includes('all')) {
        includeFields = 'all';
        continue;
      }
      for (const field of fields) {
        const keyword = attributeKeyword(field);
        if (!keyword) {
          throw new QidoQueryError(`includefield: unknown attribute ${JSON.stringify(field)}`);
        }
        if (includeFields !== 'all') {
          includeFields.push(keyword);
        }
      }
      continue;
    }
    if (name === 'fuzzymatching') {
      continue;
    }
    const keyword = attributeKeyword(name);
    if (!keyword) {
      throw new QidoQueryError(`${name}: not a DICOM attribute keyword or tag, nor a QIDO-RS parameter`);
    }
    keys[keyword] = values[values.length - 1].replace(/,/g, '\\');
  }
  return { keys, limit, offset, includeFields };
}

/** A keyword as given (PatientID) or a tag (00100020): its keyword, or undefined for neither. */
function attributeKeyword(name: string): string | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(name)) {
    return keywordOf(name);
  }
  return /^[A-Za-z][A-Za-z0-9]*$/.test(name) && keywordOf(tagHex(name) ?? '') === name ? name : undefined;
}
