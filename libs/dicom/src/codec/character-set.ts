import * as iconv from 'iconv-lite';

/**
 * Text in a data set, decoded and encoded per its Specific Character Set (0008,0005) (PS3.3 C.12.1.1.2,
 * PS3.5 6.1): the default repertoire, the single-byte sets, ISO_IR 192 (UTF-8), GB18030 and GBK, and
 * ISO 2022 with code extensions (escape sequences per PS3.5 6.1.2.5; a person name's component groups
 * each start again from value 1's sets). The code tables are iconv-lite's; this file only follows the
 * escape sequences and says which table each byte belongs to.
 */

/** One coded character set an ISO 2022 escape sequence designates (PS3.3 tables C.12-3 and C.12-4). */
interface Designation {
  /** The escape sequence that designates it, without ESC. */
  escape: string;
  /** The code element it is designated to: G0 (bytes 0x21-0x7E) or G1 (bytes 0xA1-0xFE). */
  g: 0 | 1;
  /** Bytes per character. */
  width: 1 | 2;
  /** A run of this set's bytes (as they appear in the value) to text. */
  decode(bytes: Buffer): string;
  /** One character in this set's bytes (as they would appear in the value); undefined if it has none. */
  encode(char: string): Buffer | undefined;
}

const ESC = 0x1b;

function singleByte(escape: string, codec: string): Designation {
  return {
    escape,
    g: 1,
    width: 1,
    decode: (bytes) => iconv.decode(bytes, codec),
    encode: (char) => {
      const bytes = iconv.encode(char, codec);
      return bytes.length === 1 && bytes[0] >= 0xa0 && iconv.decode(bytes, codec) === char ? bytes : undefined;
    },
  };
}

/** A two-byte set whose characters iconv-lite knows in an EUC form (both bytes with the high bit set). */
function doubleByte(escape: string, g: 0 | 1, codec: string, lead: number[] = []): Designation {
  const high = g === 0 ? 0x80 : 0;
  return {
    escape,
    g,
    width: 2,
    decode: (bytes) => {
      const euc = Buffer.alloc((bytes.length / 2) * (2 + lead.length));
      for (let i = 0, o = 0; i + 1 < bytes.length; i += 2) {
        lead.forEach((byte) => (euc[o++] = byte));
        euc[o++] = bytes[i] | high;
        euc[o++] = bytes[i + 1] | high;
      }
      return iconv.decode(euc, codec);
    },
    encode: (char) => {
      const euc = iconv.encode(char, codec);
      if (euc.length !== 2 + lead.length || lead.some((byte, i) => euc[i] !== byte)) {
        return undefined;
      }
      const pair = euc.subarray(lead.length);
      if (pair[0] < 0xa1 || pair[0] > 0xfe || pair[1] < 0xa1 || pair[1] > 0xfe || iconv.decode(euc, codec) !== char) {
        return undefined;
      }
      return Buffer.from([pair[0] & ~high, pair[1] & ~high]);
    },
  };
}

const ASCII: Designation = {
  escape: '(B',
  g: 0,
  width: 1,
  decode: (bytes) => bytes.toString('latin1'),
  encode: (char) => (char.charCodeAt(0) < 0x80 ? Buffer.from(char, 'latin1') : undefined),
};

/** JIS X 0201 romaji: ASCII in every code the hub writes (DCMTK and pydicom read it so). */
const ROMAJI: Designation = { ...ASCII, escape: '(J' };

/** JIS X 0201 katakana (half-width): 0xA1-0xDF are U+FF61-U+FF9F. */
const KATAKANA: Designation = {
  escape: ')I',
  g: 1,
  width: 1,
  decode: (bytes) =>
    String.fromCharCode(...[...bytes].map((byte) => (byte >= 0xa1 && byte <= 0xdf ? byte + 0xfec0 : byte))),
  encode: (char) => {
    const code = char.charCodeAt(0);
    return char.length === 1 && code >= 0xff61 && code <= 0xff9f ? Buffer.from([code - 0xfec0]) : undefined;
  },
};

/** The ISO 2022 defined terms (PS3.3 C.12-3, C.12-4): what each designates, value 1 first. */
const ISO2022: Record<string, Designation[]> = {
  'ISO 2022 IR 6': [ASCII],
  'ISO 2022 IR 100': [singleByte('-A', 'iso-8859-1')],
  'ISO 2022 IR 101': [singleByte('-B', 'iso-8859-2')],
  'ISO 2022 IR 109': [singleByte('-C', 'iso-8859-3')],
  'ISO 2022 IR 110': [singleByte('-D', 'iso-8859-4')],
  'ISO 2022 IR 144': [singleByte('-L', 'iso-8859-5')],
  'ISO 2022 IR 127': [singleByte('-G', 'iso-8859-6')],
  'ISO 2022 IR 126': [singleByte('-F', 'iso-8859-7')],
  'ISO 2022 IR 138': [singleByte('-H', 'iso-8859-8')],
  'ISO 2022 IR 148': [singleByte('-M', 'iso-8859-9')],
  'ISO 2022 IR 203': [singleByte('-b', 'iso-8859-15')],
  'ISO 2022 IR 166': [singleByte('-T', 'tis620')],
  'ISO 2022 IR 13': [KATAKANA, ROMAJI],
  'ISO 2022 IR 87': [doubleByte('$B', 0, 'euc-jp')],
  'ISO 2022 IR 159': [doubleByte('$(D', 0, 'euc-jp', [0x8f])],
  'ISO 2022 IR 149': [doubleByte('$)C', 1, 'euc-kr')],
  'ISO 2022 IR 58': [doubleByte('$)A', 1, 'gb2312')],
};

/** Escape sequences read whatever the data set declares (older JIS C 6226 for JIS X 0208 too). */
const ESCAPES = new Map<string, Designation>([
  ...Object.values(ISO2022).flatMap((designations) => designations.map((d) => [d.escape, d] as const)),
  ['$@', ISO2022['ISO 2022 IR 87'][0]],
]);

/** The defined terms without code extensions and the codec of each (PS3.3 C.12-2, C.12-5). */
const WHOLE_VALUE: Record<string, string> = {
  'ISO_IR 100': 'iso-8859-1',
  'ISO_IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9',
  'ISO_IR 203': 'iso-8859-15',
  'ISO_IR 166': 'tis620',
  'ISO_IR 192': 'utf8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

/** Reads a defined term leniently (ISO_IR100, ISO-IR 100, iso 2022 ir 87, UTF-8) as the standard spells it. */
function normalizeTerm(term: string): string {
  const upper = term.trim().toUpperCase();
  const iso2022 = /^ISO[ _-]?2022[ _-]?IR[ _-]?(\d+)$/.exec(upper);
  if (iso2022) {
    return `ISO 2022 IR ${iso2022[1]}`;
  }
  const isoIr = /^ISO[ _-]?IR[ _-]?(\d+)$/.exec(upper);
  if (isoIr) {
    return `ISO_IR ${isoIr[1]}`;
  }
  return upper === 'UTF-8' || upper === 'UTF8' ? 'ISO_IR 192' : upper;
}

/** The values of a Specific Character Set as written (value 1 may be empty: the default repertoire). */
export function characterSetTerms(specificCharacterSet: string | undefined): string[] {
  const terms = (specificCharacterSet ?? '').split('\\').map(normalizeTerm);
  return terms.length === 1 && terms[0] === '' ? [] : terms;
}

type Plan =
  | { kind: 'whole'; codec: string }
  | { kind: 'iso2022'; sets: Designation[]; initialG0: Designation; initialG1?: Designation }
  | { kind: 'default' };

const plans = new Map<string, Plan>();

function planFor(specificCharacterSet: string | undefined): Plan {
  const key = specificCharacterSet ?? '';
  let plan = plans.get(key);
  if (!plan) {
    plan = makePlan(characterSetTerms(key));
    if (plans.size < 256) {
      plans.set(key, plan);
    }
  }
  return plan;
}

function makePlan(terms: string[]): Plan {
  if (terms.length === 0 || (terms.length === 1 && (terms[0] === 'ISO_IR 6' || terms[0] === ''))) {
    return { kind: 'default' };
  }
  // UTF-8 and GB18030 allow no code extensions: a data set that also names others is read as the one.
  const whole = terms.find((term) => term === 'ISO_IR 192' || term === 'GB18030');
  if (whole || (terms.length === 1 && !terms[0].startsWith('ISO 2022') && terms[0] !== 'ISO_IR 13')) {
    const codec = WHOLE_VALUE[whole ?? terms[0]];
    return codec ? { kind: 'whole', codec } : { kind: 'default' };
  }
  // Code extensions; a set written without them (ISO_IR 100 in value 2) is read as its ISO 2022 form.
  const sets: Designation[] = [];
  for (const term of terms) {
    const extended = term === '' ? 'ISO 2022 IR 6' : term.replace(/^ISO_IR /, 'ISO 2022 IR ');
    for (const designation of ISO2022[extended] ?? []) {
      if (!sets.includes(designation)) {
        sets.push(designation);
      }
    }
  }
  const first = ISO2022[(terms[0] || 'ISO 2022 IR 6').replace(/^ISO_IR /, 'ISO 2022 IR ')] ?? [ASCII];
  return {
    kind: 'iso2022',
    sets: [ASCII, ...sets.filter((set) => set !== ASCII)],
    initialG0: first.find((set) => set.g === 0) ?? ASCII,
    initialG1: first.find((set) => set.g === 1),
  };
}

/** Whether the hub reads this Specific Character Set (every value a defined term it knows). */
export function isKnownCharacterSet(specificCharacterSet: string | undefined): boolean {
  return characterSetTerms(specificCharacterSet).every(
    (term, index) =>
      (term === '' && index === 0) ||
      term in WHOLE_VALUE ||
      term === 'ISO_IR 6' ||
      term === 'ISO_IR 13' ||
      term in ISO2022 ||
      term.replace(/^ISO_IR /, 'ISO 2022 IR ') in ISO2022,
  );
}

export interface TextOptions {
  /** A PN value: '^' and '=' return to value 1's sets, as CR, LF, FF, TAB and '\' do for every value. */
  personName?: boolean;
}

const CR = 0x0d;
const LF = 0x0a;
const FF = 0x0c;
const TAB = 0x09;
const BACKSLASH = 0x5c;
const CARET = 0x5e;
const EQUALS = 0x3d;

function isReset(byte: number, personName: boolean): boolean {
  return (
    byte === BACKSLASH ||
    byte === CR ||
    byte === LF ||
    byte === FF ||
    byte === TAB ||
    (personName && (byte === CARET || byte === EQUALS))
  );
}

/**
 * The text of a value's bytes under a Specific Character Set. Bytes outside the declared repertoire
 * (a default-repertoire data set with 8-bit bytes, an unknown term) are read as Latin-1, so that nothing
 * is lost; an unknown escape sequence is kept as it is.
 */
export function decodeText(bytes: Buffer, specificCharacterSet: string | undefined, options: TextOptions = {}): string {
  const plan = planFor(specificCharacterSet);
  if (plan.kind === 'default') {
    return bytes.toString('latin1');
  }
  if (plan.kind === 'whole') {
    return iconv.decode(bytes, plan.codec);
  }
  return decodeIso2022(bytes, plan, options.personName ?? false);
}

function decodeIso2022(bytes: Buffer, plan: Extract<Plan, { kind: 'iso2022' }>, personName: boolean): string {
  let g0 = plan.initialG0;
  let g1 = plan.initialG1;
  let text = '';
  let position = 0;
  while (position < bytes.length) {
    const byte = bytes[position];
    if (byte === ESC) {
      const designation = escapeAt(bytes, position + 1);
      if (designation) {
        if (designation.g === 0) {
          g0 = designation;
        } else {
          g1 = designation;
        }
        position += 1 + designation.escape.length;
        continue;
      }
      text += '\x1b';
      position++;
      continue;
    }
    // A run of bytes in one code element and one set, decoded at once.
    const high = byte >= 0x80;
    const set = high ? g1 : g0;
    let end = position;
    if (!set) {
      while (end < bytes.length && bytes[end] >= 0x80) {
        end++;
      }
      text += bytes.toString('latin1', position, end);
      position = end;
      continue;
    }
    if (set.width === 2) {
      const inRange = (b: number) => (high ? b >= 0xa1 && b <= 0xfe : b >= 0x21 && b <= 0x7e);
      while (end + 1 < bytes.length && inRange(bytes[end]) && inRange(bytes[end + 1])) {
        end += 2;
      }
      if (end === position) {
        // A byte that cannot start a character of this set (a space, a control character) is ASCII.
        text += String.fromCharCode(byte);
        position++;
        if (isReset(byte, personName)) {
          g0 = plan.initialG0;
          g1 = plan.initialG1;
        }
        continue;
      }
      text += set.decode(bytes.subarray(position, end));
      position = end;
      continue;
    }
    while (end < bytes.length && bytes[end] !== ESC && bytes[end] >= 0x80 === high) {
      const reset = !high && isReset(bytes[end], personName);
      end++;
      if (reset) {
        break;
      }
    }
    text += set.decode(bytes.subarray(position, end));
    if (!high && isReset(bytes[end - 1], personName)) {
      g0 = plan.initialG0;
      g1 = plan.initialG1;
    }
    position = end;
  }
  return text;
}

function escapeAt(bytes: Buffer, position: number): Designation | undefined {
  for (const length of [2, 3]) {
    const designation = ESCAPES.get(bytes.toString('latin1', position, position + length));
    if (designation && position + length <= bytes.length) {
      return designation;
    }
  }
  return undefined;
}

/**
 * The bytes of a text value under a Specific Character Set, or undefined when a character has no code
 * in it. ISO 2022 values switch sets with escape sequences and return to value 1's sets before each
 * delimiter and at the end of the value (PS3.5 6.1.2.5.3).
 */
export function encodeText(
  text: string,
  specificCharacterSet: string | undefined,
  options: TextOptions = {},
): Buffer | undefined {
  const plan = planFor(specificCharacterSet);
  if (plan.kind === 'default') {
    return /^[\x00-\x7f]*$/.test(text) ? Buffer.from(text, 'latin1') : undefined;
  }
  if (plan.kind === 'whole') {
    const bytes = iconv.encode(text, plan.codec);
    return iconv.decode(bytes, plan.codec) === text ? bytes : undefined;
  }
  return encodeIso2022(text, plan, options.personName ?? false);
}

function encodeIso2022(
  text: string,
  plan: Extract<Plan, { kind: 'iso2022' }>,
  personName: boolean,
): Buffer | undefined {
  const parts: Buffer[] = [];
  let g0 = plan.initialG0;
  let g1 = plan.initialG1;
  const designate = (set: Designation) => {
    parts.push(Buffer.from(`\x1b${set.escape}`, 'latin1'));
    if (set.g === 0) {
      g0 = set;
    } else {
      g1 = set;
    }
  };
  const backToInitial = () => {
    if (g0 !== plan.initialG0) {
      designate(plan.initialG0);
    }
    if (g1 !== plan.initialG1 && plan.initialG1) {
      designate(plan.initialG1);
    }
    g1 = plan.initialG1;
  };
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80 && isReset(code, personName)) {
      backToInitial();
      parts.push(Buffer.from([code]));
      continue;
    }
    const current = [g0, g1].find((set) => set?.encode(char) !== undefined);
    if (current) {
      parts.push(current.encode(char)!);
      continue;
    }
    const other = plan.sets.find((set) => set.encode(char) !== undefined);
    if (!other) {
      return undefined;
    }
    designate(other);
    parts.push(other.encode(char)!);
  }
  if (g0 !== plan.initialG0) {
    designate(plan.initialG0);
  }
  return Buffer.concat(parts);
}

/** The VRs whose values Specific Character Set governs (PS3.5 6.1.2.3); the others are always ASCII. */
export const CHARACTER_SET_VRS: ReadonlySet<string> = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'PN', 'UC']);
