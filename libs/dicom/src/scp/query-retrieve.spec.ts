import { matchesKey, toQueryIdentifier } from './query-retrieve';

describe('matchesKey (PS3.4 C.2.2.2)', () => {
  it.each([
    ['PatientID', '', 'X1', true],
    ['PatientID', 'X1', 'X1', true],
    ['PatientID', 'x1', 'X1', false],
    ['PatientName', 'smith*', 'SMITH^JOHN', true],
    ['PatientName', 'SM?TH^JOHN', 'SMITH^JOHN', true],
    ['PatientName', 'JONES*', 'SMITH^JOHN', false],
    ['StudyDate', '20260101-20261231', '20261122', true],
    ['StudyDate', '20270101-', '20261122', false],
    ['StudyDate', '-20261122', '20261122', true],
    ['StudyDate', '20260101-', '', false],
    ['StudyInstanceUID', '1.2.3\\1.2.4', '1.2.4', true],
    ['StudyInstanceUID', '1.2.3\\1.2.5', '1.2.4', false],
    ['ModalitiesInStudy', 'MR', 'CT\\MR', true],
    ['ModalitiesInStudy', 'US', 'CT\\MR', false],
    ['AccessionNumber', 'RVJ-*', 'RVJ-ACC1', true],
    ['AccessionNumber', 'A.C', 'ABC', false],
    // On decoded text: wildcards over non-ASCII characters, case folded for names in any script.
    ['PatientName', 'ŻÓŁĆ*', 'ŻÓŁĆ^ŁUKASZ=山田^太郎', true],
    ['PatientName', 'żółć*', 'ŻÓŁĆ^ŁUKASZ=山田^太郎', true],
    ['PatientName', 'M?LLER^REN?E', 'MÜLLER^RENÉE', true],
    ['PatientName', 'müller^renée', 'MÜLLER^RENÉE', true],
    ['PatientID', 'müller', 'MÜLLER', false],
    ['PatientName', '山田*', 'Yamada^Tarou=山田^太郎=やまだ^たろう', true],
    ['PatientName', 'やまだ^たろう', 'Yamada^Tarou=山田^太郎=やまだ^たろう', true],
    ['PatientName', '?田^太郎', 'Yamada^Tarou=山田^太郎=やまだ^たろう', true],
    ['PatientName', '太郎*', 'Yamada^Tarou=山田^太郎=やまだ^たろう', false],
    ['PatientName', '*=山田^太郎=*', 'Yamada^Tarou=山田^太郎=やまだ^たろう', true],
  ])('%s key %j against %j → %s', (keyword, key, value, expected) => {
    expect(matchesKey(keyword, key, value)).toBe(expected);
  });
});

describe('toQueryIdentifier', () => {
  it('reads level and keys, person names and UID lists as on the wire', () => {
    expect(
      toQueryIdentifier('study-root', {
        QueryRetrieveLevel: 'STUDY',
        PatientName: [{ Alphabetic: 'SMITH*' }],
        StudyInstanceUID: ['1.2.3', '1.2.4'],
        AccessionNumber: '',
        SpecificCharacterSet: 'ISO_IR 100',
      }),
    ).toEqual({
      model: 'study-root',
      level: 'STUDY',
      keys: { PatientName: 'SMITH*', StudyInstanceUID: '1.2.3\\1.2.4', AccessionNumber: '' },
    });
  });

  it('names the bad level', () => {
    expect(toQueryIdentifier('study-root', { QueryRetrieveLevel: 'PATIENT' })).toEqual({
      error: 'QueryRetrieveLevel PATIENT is not valid for the study-root model',
    });
    expect(toQueryIdentifier('patient-root', {})).toEqual({
      error: 'QueryRetrieveLevel (missing) is not valid for the patient-root model',
    });
  });
});
