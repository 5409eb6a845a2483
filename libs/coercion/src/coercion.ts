import { data as dcmjsData } from 'dcmjs';
import {
  CHARACTER_SET_VRS,
  ElementReader,
  UNDEFINED_LENGTH,
  characterSetTerms,
  datasetEncoding,
  decodeText,
  encodeText,
  hasShortLength,
  maxValueLength,
  tagName,
} from '@hub/dicom';

/** One coercion rule (a trust's `coercion[]` in the hub file; the one declaration of its shape). */
export interface CoercionRule {
  op: 'set' | 'prefix' | 'copy' | 'remove';
  /** DICOM keyword (PatientID) or tag in (gggg,eeee) / ggggeeee form. */
  tag: string;
  /** Template for set/prefix: {sender.code}, {sender.patientIdIssuer}, {recipient.code}. */
  value?: string;
  /** Source tag for copy. */
  from?: string;
  /** nhs-number: the new value must be a valid NHS number (10 digits, modulus 11), else the original stays. */
  check?: 'nhs-number';
}

export interface CoercionContext {
  sender: { code: string; patientIdIssuer: string };
  recipient: { code: string };
}

export interface CoercionResult {
  dataset: Buffer;
  /** Rules not applied, and why (the original value was kept): the transfer is flagged with these. */
  problems: string[];
}

const dictionary = (
  dcmjsData as unknown as {
    DicomMetaDictionary: {
      nameMap: Record<string, { tag: string; vr: string }>;
      dictionary: Record<string, { vr: string; name: string }>;
    };
  }
).DicomMetaDictionary;

/** A keyword (PatientID) or tag ((0010,0020) / 00100020) as a number and its VR; undefined if unknown. */
export function resolveTag(spec: string): { tag: number; vr: string } | undefined {
  const numeric = /^\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?$/.exec(spec);
  if (numeric) {
    const key = `(${numeric[1].toUpperCase()},${numeric[2].toUpperCase()})`;
    const entry = dictionary.dictionary[key];
    return { tag: parseInt(numeric[1] + numeric[2], 16), vr: entry?.vr?.split('|')[0] ?? 'LO' };
  }
  const entry = dictionary.nameMap[spec];
  if (!entry) {
    return undefined;
  }
  const [group, element] = entry.tag.slice(1, -1).split(',');
  return { tag: parseInt(group + element, 16), vr: entry.vr.split('|')[0] };
}

// VRs whose backslash is text, not a separator between values (PS3.5 6.2).
const SINGLE_VALUED_TEXT = new Set(['LT', 'ST', 'UT']);

/**
 * A value cut to its VR's maximum length (PS3.5 table 6.2-1): each value of a multi-valued element, each
 * component group of a PN, counted in characters. `cut` says whether anything was removed.
 */
export function fitToVr(value: string, vr: string): { value: string; cut: boolean } {
  const max = maxValueLength(vr);
  if (max === undefined) {
    return { value, cut: false };
  }
  let cut = false;
  const fit = (part: string) => {
    const characters = [...part];
    if (characters.length <= max) {
      return part;
    }
    cut = true;
    return characters.slice(0, max).join('');
  };
  const values = SINGLE_VALUED_TEXT.has(vr) ? [value] : value.split('\\');
  const fitted = values.map((one) => (vr === 'PN' ? one.split('=').map(fit).join('=') : fit(one)));
  return { value: fitted.join('\\'), cut };
}

/**
 * Why a rule can write a value longer than its element's VR holds, given the longest values its templates
 * can take (undefined when it cannot): such a value is cut when sent, and the transfer flagged.
 */
export function coercionLengthWarning(rule: CoercionRule, longest: CoercionContext): string | undefined {
  const target = resolveTag(rule.tag);
  const max = target ? maxValueLength(target.vr) : undefined;
  if (!target || max === undefined) {
    return undefined;
  }
  const limit = `${rule.tag} is ${target.vr}, at most ${max} characters${target.vr === 'PN' ? ' a component group' : ''}`;
  const text = template(rule.value ?? '', longest);
  if (rule.op === 'set' && fitToVr(text, target.vr).cut) {
    return `${limit}; set writes "${text}" (${[...text].length}): cut when sent`;
  }
  if (rule.op === 'prefix' && text.length > 0) {
    return `${limit}; prefix adds up to ${[...text].length}: a value near the limit is cut when sent`;
  }
  if (rule.op === 'copy') {
    const source = rule.from ? resolveTag(rule.from) : undefined;
    const sourceMax = source ? maxValueLength(source.vr) : undefined;
    if (source && (sourceMax === undefined || sourceMax > max)) {
      return `${limit}; copy from ${rule.from} (${source.vr}, ${sourceMax === undefined ? 'unlimited' : `at most ${sourceMax}`}): a longer value is cut when sent`;
    }
  }
  return undefined;
}

/** NHS number: ten digits, the last a modulus 11 check digit of the first nine (weights 10..2). */
export function isValidNhsNumber(value: string): boolean {
  const digits = value.replace(/\s/g, '');
  if (!/^\d{10}$/.test(digits)) {
    return false;
  }
  const sum = [...digits.slice(0, 9)].reduce((total, digit, index) => total + Number(digit) * (10 - index), 0);
  const check = 11 - (sum % 11);
  return check !== 10 && (check === 11 ? 0 : check) === Number(digits[9]);
}

interface Element {
  tag: number;
  start: number;
  end: number;
  valueStart: number;
  valueLength: number;
}

/** Top-level elements of a little endian data set, with their byte ranges. */
function topLevelElements(buffer: Buffer, explicit: boolean): Element[] {
  const reader = new ElementReader(buffer, { explicitVr: explicit, littleEndian: true }, true, { lenient: true });
  const elements: Element[] = [];
  let position = 0;
  while (position + 8 <= buffer.length) {
    const start = position;
    const end = reader.elementEnd(position);
    if (end < 0) {
      throw new Error(`element ${tagName(reader.tag)}: ${reader.reason}`);
    }
    const { tag, length, valueStart } = reader;
    elements.push({ tag, start, end, valueStart, valueLength: length === UNDEFINED_LENGTH ? 0 : length });
    position = end;
  }
  return elements;
}

const SPECIFIC_CHARACTER_SET = 0x00080005;

function encodeElement(tag: number, vr: string, value: Buffer, explicit: boolean): Buffer {
  let bytes = value;
  if (bytes.length % 2 === 1) {
    bytes = Buffer.concat([bytes, Buffer.from([vr === 'UI' ? 0x00 : 0x20])]);
  }
  const long = !hasShortLength(vr);
  const header = Buffer.alloc(explicit ? (long ? 12 : 8) : 8);
  header.writeUInt16LE(tag >>> 16, 0);
  header.writeUInt16LE(tag & 0xffff, 2);
  if (!explicit) {
    header.writeUInt32LE(bytes.length, 4);
  } else if (long) {
    header.write(vr, 4, 'latin1');
    header.writeUInt32LE(bytes.length, 8);
  } else {
    header.write(vr, 4, 'latin1');
    header.writeUInt16LE(bytes.length, 6);
  }
  return Buffer.concat([header, bytes]);
}

function template(value: string, context: CoercionContext): string {
  return value
    .replaceAll('{sender.code}', context.sender.code)
    .replaceAll('{sender.patientIdIssuer}', context.sender.patientIdIssuer)
    .replaceAll('{recipient.code}', context.recipient.code);
}

interface CoercionPlan {
  /** tag → new value; null removes the element. */
  changes: Map<number, string | null>;
  vrs: Map<number, string>;
  problems: string[];
}

/** What the rules change, given the original values; shared by data sets and query responses. */
function planCoercion(
  rules: CoercionRule[],
  context: CoercionContext,
  valueOf: (tag: number) => string | undefined,
): CoercionPlan {
  const problems: string[] = [];
  const changes = new Map<number, string | null>();
  const current = (tag: number) => (changes.has(tag) ? (changes.get(tag) ?? undefined) : valueOf(tag));
  const vrs = new Map<number, string>();
  for (const rule of rules) {
    const target = resolveTag(rule.tag);
    if (!target) {
      problems.push(`unknown tag ${rule.tag}`);
      continue;
    }
    vrs.set(target.tag, target.vr);
    let next: string | null;
    if (rule.op === 'remove') {
      next = null;
    } else if (rule.op === 'set') {
      next = template(rule.value ?? '', context);
    } else if (rule.op === 'prefix') {
      const existing = current(target.tag) ?? '';
      const prefix = template(rule.value ?? '', context);
      next = existing.startsWith(prefix) ? existing : `${prefix}${existing}`;
    } else {
      const source = rule.from ? resolveTag(rule.from) : undefined;
      next = source ? (current(source.tag) ?? null) : null;
      if (next === null) {
        problems.push(`${rule.tag}: nothing to copy from ${rule.from}`);
        continue;
      }
    }
    if (rule.check === 'nhs-number' && next !== null && !isValidNhsNumber(next)) {
      problems.push(`${rule.tag}: not a valid NHS number, original kept`);
      continue;
    }
    if (next !== null) {
      const fitted = fitToVr(next, target.vr);
      if (fitted.cut) {
        problems.push(
          `${tagName(target.tag)}: cut to ${maxValueLength(target.vr)} characters, the most ${target.vr} holds`,
        );
        next = fitted.value;
      }
    }
    changes.set(target.tag, next);
  }
  return { changes, vrs, problems };
}

/**
 * The recipient's view of a few attributes (keyword → value), as its coercion rules would leave
 * them in the data sets it receives: what C-FIND answers a pulling node. A removed attribute is
 * absent from the result.
 */
export function coerceAttributes(
  values: Record<string, string | null | undefined>,
  rules: CoercionRule[],
  context: CoercionContext,
): { values: Record<string, string>; problems: string[] } {
  const byTag = new Map<number, string>();
  const keywordOf = new Map<number, string>();
  for (const [keyword, value] of Object.entries(values)) {
    const tag = resolveTag(keyword);
    if (tag) {
      keywordOf.set(tag.tag, keyword);
      if (value !== null && value !== undefined) {
        byTag.set(tag.tag, value);
      }
    }
  }
  const { changes, problems } = planCoercion(rules, context, (tag) => byTag.get(tag));
  const result: Record<string, string> = {};
  for (const [keyword, value] of Object.entries(values)) {
    if (value !== null && value !== undefined) {
      result[keyword] = value;
    }
  }
  for (const [tag, value] of changes) {
    const keyword = keywordOf.get(tag);
    if (!keyword) {
      continue;
    }
    if (value === null) {
      delete result[keyword];
    } else {
      result[keyword] = value;
    }
  }
  return { values: result, problems };
}

/**
 * Applies a recipient's coercion rules to a copy of a stored data set: only the top-level elements
 * the rules name are re-encoded; every other byte is the stored one. Deflated and big endian data
 * sets are sent unchanged, with a problem reported. A value that fails its check (an invalid NHS
 * number) is not used: the original stays and a problem is reported.
 */
export function applyCoercion(
  dataset: Buffer,
  transferSyntaxUid: string,
  rules: CoercionRule[],
  context: CoercionContext,
): CoercionResult {
  if (rules.length === 0) {
    return { dataset, problems: [] };
  }
  const encoding = datasetEncoding(transferSyntaxUid);
  if (encoding.deflated || !encoding.littleEndian) {
    return { dataset, problems: [`coercion not applied to a data set in ${transferSyntaxUid}`] };
  }
  // tag → replacement bytes (null = removed); values read from the original data set.
  const elements = topLevelElements(dataset, encoding.explicitVr);
  const raw = (tag: number): Buffer | undefined => {
    const element = elements.find((candidate) => candidate.tag === tag);
    return element?.valueStart !== undefined
      ? dataset.subarray(element.valueStart, element.valueStart + element.valueLength)
      : undefined;
  };
  // Text is read and written in the data set's own character set, not as bytes.
  const characterSet = raw(SPECIFIC_CHARACTER_SET)
    ?.toString('latin1')
    .replace(/[\0 ]+$/, '');
  const valueOf = (tag: number): string | undefined => {
    const bytes = raw(tag);
    const vr = vrOfTag(tag);
    const text =
      bytes && vr && CHARACTER_SET_VRS.has(vr)
        ? decodeText(bytes, characterSet, { personName: vr === 'PN' })
        : bytes?.toString('latin1');
    return text?.replace(/[\0 ]+$/, '');
  };
  const { changes, vrs, problems } = planCoercion(rules, context, valueOf);
  const encoded = encodeChanges(changes, vrs, characterSet, problems);
  if (encoded.size === 0) {
    return { dataset, problems };
  }
  const parts: Buffer[] = [];
  const pending = [...encoded.keys()].sort((a, b) => a - b);
  let cursor = 0;
  const emit = (tag: number) => {
    const value = encoded.get(tag);
    if (value !== null && value !== undefined) {
      parts.push(encodeElement(tag, value.vr, value.bytes, encoding.explicitVr));
    }
  };
  for (const element of elements) {
    while (pending.length > 0 && pending[0] <= element.tag) {
      const tag = pending.shift()!;
      parts.push(dataset.subarray(cursor, element.start));
      cursor = element.start;
      emit(tag);
      if (tag === element.tag) {
        cursor = element.end;
      }
    }
  }
  parts.push(dataset.subarray(cursor));
  for (const tag of pending) {
    emit(tag);
  }
  return { dataset: Buffer.concat(parts), problems };
}

function vrOfTag(tag: number): string | undefined {
  const hex = tag.toString(16).toUpperCase().padStart(8, '0');
  return dictionary.dictionary[`(${hex.slice(0, 4)},${hex.slice(4)})`]?.vr?.split('|')[0];
}

/**
 * The changes as bytes: text in the data set's character set. A value that does not fit it is written
 * in UTF-8 with (0008,0005) set to ISO_IR 192 when the data set is in the default repertoire (whose
 * every other value is then already valid UTF-8); in any other set the original stays, with a problem.
 */
function encodeChanges(
  changes: Map<number, string | null>,
  vrs: Map<number, string>,
  characterSet: string | undefined,
  problems: string[],
): Map<number, { vr: string; bytes: Buffer } | null> {
  const defaultRepertoire = characterSetTerms(characterSet).every((term) => term === '' || term === 'ISO_IR 6');
  const encoded = new Map<number, { vr: string; bytes: Buffer } | null>();
  let toUtf8 = false;
  for (const [tag, value] of changes) {
    const vr = vrs.get(tag)!;
    if (value === null) {
      encoded.set(tag, null);
      continue;
    }
    if (!CHARACTER_SET_VRS.has(vr)) {
      encoded.set(tag, { vr, bytes: Buffer.from(value, 'latin1') });
      continue;
    }
    const bytes = encodeText(value, characterSet, { personName: vr === 'PN' });
    if (bytes) {
      encoded.set(tag, { vr, bytes });
    } else if (defaultRepertoire) {
      toUtf8 = true;
      encoded.set(tag, { vr, bytes: Buffer.from(value, 'utf8') });
    } else {
      problems.push(`${tagName(tag)}: the new value has characters ${characterSet} cannot hold, original kept`);
    }
  }
  if (toUtf8) {
    encoded.set(SPECIFIC_CHARACTER_SET, { vr: 'CS', bytes: Buffer.from('ISO_IR 192', 'latin1') });
  }
  return encoded;
}

/**
 * The first tag the rules do not read or write: every element they touch is below it, so coercion
 * needs only the data set's top-level elements below this tag (0 when there is nothing to apply).
 */
export function coercionScope(rules: CoercionRule[]): number {
  let scope = 0;
  for (const rule of rules) {
    for (const spec of [rule.tag, rule.from]) {
      const resolved = spec ? resolveTag(spec) : undefined;
      if (resolved) {
        scope = Math.max(scope, resolved.tag + 1);
      }
    }
  }
  return scope;
}
