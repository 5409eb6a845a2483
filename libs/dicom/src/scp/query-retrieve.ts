import { TransferSyntax } from '../codec/transfer-syntax';

/** Query/Retrieve information models the hub serves (PS3.4 C.6). */
export const QueryRetrieveSopClass = {
  PatientRootFind: '1.2.840.10008.5.1.4.1.2.1.1',
  PatientRootMove: '1.2.840.10008.5.1.4.1.2.1.2',
  StudyRootFind: '1.2.840.10008.5.1.4.1.2.2.1',
  StudyRootMove: '1.2.840.10008.5.1.4.1.2.2.2',
} as const;

const FIND_CLASSES: ReadonlySet<string> = new Set([
  QueryRetrieveSopClass.PatientRootFind,
  QueryRetrieveSopClass.StudyRootFind,
]);
const MOVE_CLASSES: ReadonlySet<string> = new Set([
  QueryRetrieveSopClass.PatientRootMove,
  QueryRetrieveSopClass.StudyRootMove,
]);

export function isQueryRetrieveSopClass(uid: string): boolean {
  return FIND_CLASSES.has(uid) || MOVE_CLASSES.has(uid);
}

/** Identifiers are small and decoded by the library: an uncompressed little endian syntax, explicit first. */
export function chooseQueryTransferSyntax(proposed: string[]): string | undefined {
  const cleaned = proposed.map((uid) => uid.replace(/\0+$/, ''));
  return [TransferSyntax.ExplicitVrLittleEndian, TransferSyntax.ImplicitVrLittleEndian].find((uid) =>
    cleaned.includes(uid),
  );
}

export type QueryLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';
export const QUERY_LEVELS: readonly QueryLevel[] = ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'];

/** A C-FIND or C-MOVE identifier as the hub sees it: level, model and the keys by keyword. */
export interface QueryIdentifier {
  model: 'patient-root' | 'study-root';
  level: QueryLevel;
  /** Keyword → value as the requester sent it (strings; an empty string is a return key). */
  keys: Record<string, string>;
}

/** C-MOVE sub-operation counts (PS3.4 C.4.2.1.4). */
export interface SubOperationCounts {
  remaining: number;
  completed: number;
  failed: number;
  warning: number;
}

export interface QueryOutcome {
  status: number;
  comment?: string;
}

export interface MoveOutcome extends QueryOutcome {
  counts: SubOperationCounts;
}

/** Query/retrieve on one accepted association. Absent from a session: its contexts are not accepted. */
export interface QueryRetrieveSession {
  /** Calls `match` for each response identifier; resolves with the final status. */
  find(
    query: QueryIdentifier,
    match: (identifier: Record<string, string>) => void,
    cancelled: () => boolean,
  ): Promise<QueryOutcome>;
  move(
    query: QueryIdentifier,
    destination: string,
    progress: (counts: SubOperationCounts) => void,
    cancelled: () => boolean,
  ): Promise<MoveOutcome>;
}

export function queryModelOf(sopClassUid: string): 'patient-root' | 'study-root' {
  return sopClassUid === QueryRetrieveSopClass.PatientRootFind || sopClassUid === QueryRetrieveSopClass.PatientRootMove
    ? 'patient-root'
    : 'study-root';
}

/**
 * Reads a decoded identifier (dcmjs naturalized elements) into level and string keys. Sequences and
 * binary values are not query keys the hub supports: they are dropped. Multi-valued keys are joined
 * with a backslash, as on the wire (UID lists).
 */
export function toQueryIdentifier(
  model: 'patient-root' | 'study-root',
  elements: Record<string, unknown>,
): QueryIdentifier | { error: string } {
  const level = String(elements.QueryRetrieveLevel ?? '')
    .trim()
    .toUpperCase();
  if (!(QUERY_LEVELS as readonly string[]).includes(level) || (level === 'PATIENT' && model === 'study-root')) {
    return { error: `QueryRetrieveLevel ${level || '(missing)'} is not valid for the ${model} model` };
  }
  const keys: Record<string, string> = {};
  for (const [keyword, value] of Object.entries(elements)) {
    if (keyword === 'QueryRetrieveLevel' || keyword === 'SpecificCharacterSet' || keyword === '_vrMap') {
      continue;
    }
    const text = keyText(value);
    if (text !== undefined) {
      keys[keyword] = text;
    }
  }
  return { model, level: level as QueryLevel, keys };
}

function keyText(value: unknown): string | undefined {
  if (value === undefined || value === null) {
    return '';
  }
  if (typeof value === 'string' || typeof value === 'number') {
    return String(value).trim();
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      return '';
    }
    const parts = value.map((item) => {
      if (item && typeof item === 'object' && 'Alphabetic' in item) {
        return String((item as { Alphabetic?: string }).Alphabetic ?? '');
      }
      return typeof item === 'string' || typeof item === 'number' ? String(item).trim() : undefined;
    });
    return parts.some((part) => part === undefined) ? undefined : parts.join('\\');
  }
  if (typeof value === 'object' && 'Alphabetic' in value) {
    return String((value as { Alphabetic?: string }).Alphabetic ?? '');
  }
  return undefined;
}

/**
 * DICOM attribute matching (PS3.4 C.2.2.2) of one stored value against one key: empty key is
 * universal; a backslash list is a UID list; `*` and `?` are wildcards; `a-b` is a range for dates
 * and times; otherwise single value matching, on decoded text (wildcards match characters, not bytes).
 * Person names match without regard to case, and a key without '=' matches the whole name or any one
 * of its component groups (alphabetic, ideographic, phonetic).
 */
export function matchesKey(keyword: string, key: string, value: string | null | undefined): boolean {
  if (key === '' || key === '*') {
    return true;
  }
  const actual = (value ?? '').trim();
  if (keyword === 'ModalitiesInStudy') {
    return actual.split('\\').some((modality) => matchesKey('Modality', key, modality));
  }
  if (RANGE_KEYWORDS.has(keyword) && key.includes('-')) {
    const [low, high] = key.split('-').map((part) => part.trim());
    if (actual === '') {
      return false;
    }
    return (low === '' || actual >= low) && (high === '' || actual.slice(0, high.length) <= high);
  }
  if (key.includes('\\')) {
    return key.split('\\').some((part) => matchesKey(keyword, part, value));
  }
  const personName = keyword === 'PatientName' || keyword.endsWith('PhysicianName');
  if (personName && !key.includes('=') && actual.includes('=')) {
    // A key of one component group may match the alphabetic, ideographic or phonetic group of the name.
    return [actual, ...actual.split('=')].some((group) => matchesText(key, group, true));
  }
  return matchesText(key, actual, personName);
}

/** Single value or wildcard matching on decoded text: '?' is one character, whatever its script. */
function matchesText(key: string, actual: string, caseless: boolean): boolean {
  if (key.includes('*') || key.includes('?')) {
    const pattern = key
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    return new RegExp(`^${pattern}$`, caseless ? 'isu' : 'su').test(actual);
  }
  return caseless ? actual.toLowerCase() === key.toLowerCase() : actual === key;
}

const RANGE_KEYWORDS = new Set(['StudyDate', 'StudyTime', 'SeriesDate', 'SeriesTime', 'PatientBirthDate']);
