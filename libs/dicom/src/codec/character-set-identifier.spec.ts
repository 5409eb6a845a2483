import { encodeIdentifier, readIdentifierText, responseCharacterSet } from './character-set-identifier';
import { TransferSyntax } from './transfer-syntax';

const EXPLICIT = TransferSyntax.ExplicitVrLittleEndian;
const IMPLICIT = TransferSyntax.ImplicitVrLittleEndian;

describe('C-FIND identifiers in their character sets', () => {
  it.each([
    ['ASCII values, no set asked for', { PatientName: 'SMITH^JOHN' }, undefined, undefined],
    ['Latin-1 values, ISO_IR 100 asked for', { PatientName: 'MÜLLER^RENÉE' }, 'ISO_IR 100', 'ISO_IR 100'],
    ['Latin-1 values, no set asked for', { PatientName: 'MÜLLER^RENÉE' }, undefined, 'ISO_IR 192'],
    ['Polish and Kanji, ISO_IR 100 asked for', { PatientName: 'ŻÓŁĆ^ŁUKASZ=山田^太郎' }, 'ISO_IR 100', 'ISO_IR 192'],
    [
      'Kanji, ISO 2022 IR 87 asked for',
      { PatientName: 'Yamada^Tarou=山田^太郎' },
      '\\ISO 2022 IR 87',
      '\\ISO 2022 IR 87',
    ],
    ['Latin-1 values, an unknown set asked for', { PatientName: 'MÜLLER' }, 'KOI8-R', 'ISO_IR 192'],
    ['ASCII values, an unknown set asked for', { PatientName: 'MULLER' }, 'KOI8-R', undefined],
    ['a UID is no text', { StudyInstanceUID: '1.2.3', PatientID: 'P1' }, 'ISO_IR 100', 'ISO_IR 100'],
  ])('%s', (_name, values, requested, expected) => {
    expect(responseCharacterSet(values, requested)).toBe(expected);
  });

  it.each([EXPLICIT, IMPLICIT])('writes and reads back text in the declared set (%s)', (ts) => {
    const values = {
      PatientName: 'Yamada^Tarou=山田^太郎=やまだ^たろう',
      PatientID: 'JP-1',
      StudyInstanceUID: '1.2.3',
    };
    const encoded = encodeIdentifier(values, '\\ISO 2022 IR 87', ts);
    expect(encoded.specificCharacterSet).toBe('\\ISO 2022 IR 87');
    expect(encoded.dataset.includes(Buffer.from('\x1b$B;3ED\x1b(B', 'latin1'))).toBe(true);
    expect(readIdentifierText(encoded.dataset, ts)).toEqual({
      specificCharacterSet: '\\ISO 2022 IR 87',
      text: { PatientName: values.PatientName, PatientID: 'JP-1' },
    });
  });

  it('falls back to UTF-8 and says so when a value does not fit the asked set', () => {
    const encoded = encodeIdentifier({ PatientName: 'ŻÓŁĆ^ŁUKASZ' }, 'ISO_IR 100', EXPLICIT);
    expect(encoded.specificCharacterSet).toBe('ISO_IR 192');
    expect(encoded.dataset.includes(Buffer.from('ŻÓŁĆ^ŁUKASZ', 'utf8'))).toBe(true);
  });
});
