import { characterSetTerms, decodeText, encodeText, isKnownCharacterSet } from './character-set';
import { readDatasetHeader } from './dataset-header';
import { TransferSyntax } from './transfer-syntax';

const bytes = (text: string) => Buffer.from(text, 'latin1');

interface Case {
  name: string;
  charset: string;
  bytes: Buffer;
  text: string;
  /** The hub writes these bytes for the text too (false: reading only, e.g. a lenient spelling). */
  encodes?: boolean;
}

// Bytes as the sets' code tables and PS3.5 annexes H, I and J give them.
const CASES: Case[] = [
  { name: 'default repertoire', charset: '', bytes: bytes('Smith^John'), text: 'Smith^John' },
  { name: 'ISO_IR 100 (Latin-1)', charset: 'ISO_IR 100', bytes: bytes('M\xdcLLER^REN\xc9E'), text: 'MÜLLER^RENÉE' },
  { name: 'ISO_IR 101 (Latin-2)', charset: 'ISO_IR 101', bytes: bytes('Wa\xb3\xeasa^Lech'), text: 'Wałęsa^Lech' },
  { name: 'ISO_IR 109 (Latin-3)', charset: 'ISO_IR 109', bytes: bytes('\xe6u\xf8'), text: 'ĉuĝ' },
  { name: 'ISO_IR 110 (Latin-4)', charset: 'ISO_IR 110', bytes: bytes('\xe0\xe7'), text: 'āį' },
  { name: 'ISO_IR 144 (Cyrillic)', charset: 'ISO_IR 144', bytes: bytes('\xbb\xee\xda'), text: 'Люк' },
  {
    name: 'ISO_IR 127 (Arabic)',
    charset: 'ISO_IR 127',
    bytes: bytes('\xe2\xc8\xc7\xe6\xea^\xe4\xe6\xd2\xc7\xd1'),
    text: 'قباني^لنزار',
  },
  { name: 'ISO_IR 126 (Greek)', charset: 'ISO_IR 126', bytes: bytes('\xc4\xe9\xef'), text: 'Διο' },
  {
    name: 'ISO_IR 138 (Hebrew)',
    charset: 'ISO_IR 138',
    bytes: bytes('\xf9\xf8\xe5\xef^\xe3\xe1\xe5\xf8\xe4'),
    text: 'שרון^דבורה',
  },
  { name: 'ISO_IR 148 (Latin-5)', charset: 'ISO_IR 148', bytes: bytes('\xc7avu\xfeo\xf0lu'), text: 'Çavuşoğlu' },
  { name: 'ISO_IR 166 (Thai)', charset: 'ISO_IR 166', bytes: bytes('\xa1\xa2'), text: 'กข' },
  {
    name: 'ISO_IR 13 (JIS X 0201)',
    charset: 'ISO_IR 13',
    bytes: bytes('\xd4\xcf\xc0\xde^\xc0\xdb\xb3'),
    text: 'ﾔﾏﾀﾞ^ﾀﾛｳ',
  },
  {
    name: 'ISO_IR 192 (UTF-8)',
    charset: 'ISO_IR 192',
    bytes: Buffer.from('ŻÓŁĆ^ŁUKASZ=山田^太郎', 'utf8'),
    text: 'ŻÓŁĆ^ŁUKASZ=山田^太郎',
  },
  {
    name: 'GB18030 (J.3)',
    charset: 'GB18030',
    bytes: bytes('Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab='),
    text: 'Wang^XiaoDong=王^小东=',
  },
  { name: 'GBK', charset: 'GBK', bytes: bytes('\xcd\xf5^\xd0\xa1\xb6\xab'), text: '王^小东' },
  {
    name: 'ISO 2022 IR 87, PS3.5 H.3 (Japanese, Kanji and Hiragana)',
    charset: '\\ISO 2022 IR 87',
    bytes: bytes('Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B'),
    text: 'Yamada^Tarou=山田^太郎=やまだ^たろう',
  },
  {
    name: 'ISO 2022 IR 13 and IR 87, PS3.5 H.2 (Japanese with half-width Katakana)',
    charset: 'ISO 2022 IR 13\\ISO 2022 IR 87',
    bytes: bytes(
      '\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J=\x1b$B$d$^$@\x1b(J^\x1b$B$?$m$&\x1b(J',
    ),
    text: 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう',
  },
  {
    name: 'ISO 2022 IR 149, PS3.5 I.2 (Korean)',
    charset: '\\ISO 2022 IR 149',
    bytes: bytes('Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf'),
    text: 'Hong^Gildong=洪^吉洞=홍^길동',
  },
  { name: 'ISO 2022 IR 159 (JIS X 0212)', charset: '\\ISO 2022 IR 159', bytes: bytes('\x1b$(D0!\x1b(B'), text: '丂' },
  {
    name: 'ISO 2022 IR 58 (GB 2312)',
    charset: '\\ISO 2022 IR 58',
    bytes: bytes('Wang=\x1b$)A\xcd\xf5'),
    text: 'Wang=王',
  },
  { name: 'ISO 2022 IR 100 as value 1', charset: 'ISO 2022 IR 100', bytes: bytes('M\xdcLLER'), text: 'MÜLLER' },
  {
    name: 'ISO 2022 IR 100 and IR 144, switched by escape sequences',
    charset: 'ISO 2022 IR 100\\ISO 2022 IR 144',
    bytes: bytes('\xdc=\x1b-L\xbb'),
    text: 'Ü=Л',
  },
  {
    name: 'ISO 2022 IR 6 written out as value 1, with IR 87',
    charset: 'ISO 2022 IR 6\\ISO 2022 IR 87',
    bytes: bytes('\x1b$B;3ED\x1b(B'),
    text: '山田',
  },
  {
    name: 'a lenient spelling (ISO_IR100)',
    charset: 'ISO_IR100',
    bytes: bytes('REN\xc9E'),
    text: 'RENÉE',
    encodes: false,
  },
  {
    name: '8-bit bytes in the default repertoire are kept as Latin-1',
    charset: '',
    bytes: bytes('REN\xc9E'),
    text: 'RENÉE',
    encodes: false,
  },
];

describe('character sets', () => {
  it.each(CASES)('decodes $name', ({ charset, bytes: value, text }) => {
    expect(decodeText(value, charset, { personName: true })).toBe(text);
  });

  it.each(CASES.filter((c) => c.encodes !== false))('encodes $name', ({ charset, bytes: value, text }) => {
    expect(encodeText(text, charset, { personName: true })?.toString('latin1')).toBe(value.toString('latin1'));
  });

  it.each([
    ['山田', 'ISO_IR 100'],
    ['Ż', ''],
    ['Ż', 'ISO_IR 100'],
    ['Ż', '\\ISO 2022 IR 87'],
    ['🙂', 'GBK'],
  ])('says %s does not fit %j', (text, charset) => {
    expect(encodeText(text, charset)).toBeUndefined();
  });

  it('returns to value 1 at a multi-value delimiter in ISO 2022', () => {
    const value = encodeText('山\\田', '\\ISO 2022 IR 87')!;
    expect(value.toString('latin1')).toBe('\x1b$B;3\x1b(B\\\x1b$BED\x1b(B');
    expect(decodeText(value, '\\ISO 2022 IR 87')).toBe('山\\田');
  });

  it('reads the values of (0008,0005), value 1 possibly empty', () => {
    expect(characterSetTerms('\\ISO 2022 IR 87')).toEqual(['', 'ISO 2022 IR 87']);
    expect(characterSetTerms(' ISO_IR 192 ')).toEqual(['ISO_IR 192']);
    expect(characterSetTerms('')).toEqual([]);
    expect(characterSetTerms(undefined)).toEqual([]);
  });

  it('knows which sets it reads', () => {
    expect(isKnownCharacterSet('ISO 2022 IR 6\\ISO 2022 IR 87\\ISO 2022 IR 159')).toBe(true);
    expect(isKnownCharacterSet('ISO_IR 192')).toBe(true);
    expect(isKnownCharacterSet('KOI8-R')).toBe(false);
  });
});

/** An explicit VR little endian element with a short length, padded to even length with a space. */
function element(group: number, elementNumber: number, vr: string, value: Buffer): Buffer {
  const padded = value.length % 2 ? Buffer.concat([value, Buffer.from(' ')]) : value;
  const header = Buffer.alloc(8);
  header.writeUInt16LE(group, 0);
  header.writeUInt16LE(elementNumber, 2);
  header.write(vr, 4, 'latin1');
  header.writeUInt16LE(padded.length, 6);
  return Buffer.concat([header, padded]);
}

describe('the header scan', () => {
  it.each(CASES.filter((c) => c.encodes !== false))(
    'indexes a $name name as its text',
    ({ charset, bytes: value, text }) => {
      const dataset = Buffer.concat([
        element(0x0008, 0x0005, 'CS', Buffer.from(charset, 'latin1')),
        element(0x0010, 0x0010, 'PN', value),
        element(0x0010, 0x0020, 'LO', value),
      ]);
      const result = readDatasetHeader(dataset, TransferSyntax.ExplicitVrLittleEndian, { complete: true });
      expect(result).toMatchObject({ status: 'ok', header: { patientName: text } });
      // A LO is no person name: '^' and '=' do not return to value 1's sets, which these values do not need.
      expect(result.status === 'ok' && result.header.patientId).toBe(text);
    },
  );
});
