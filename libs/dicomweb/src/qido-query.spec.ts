import { attributesToJson, dcmjsToDicomJson, keywordOf, tagHex } from './dicom-json';
import { QidoQueryError, parseQidoQuery } from './qido-query';

describe('parseQidoQuery', () => {
  it('reads keys by keyword or tag, paging and include fields', () => {
    expect(
      parseQidoQuery({
        PatientName: 'SMITH*',
        '00080050': 'ACC1',
        ModalitiesInStudy: 'CT,MR',
        limit: '10',
        offset: '20',
        includefield: ['StudyDescription', '00100030'],
        fuzzymatching: 'false',
      }),
    ).toEqual({
      keys: { PatientName: 'SMITH*', AccessionNumber: 'ACC1', ModalitiesInStudy: 'CT\\MR' },
      limit: 10,
      offset: 20,
      includeFields: ['StudyDescription', 'PatientBirthDate'],
    });
    expect(parseQidoQuery({ includefield: 'all' }).includeFields).toBe('all');
    expect(parseQidoQuery({ limit: '100000' }).limit).toBe(1000);
  });

  it.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ offset: '-1' }, 'offset'],
    [{ NotAKeyword: 'x' }, 'NotAKeyword'],
    [{ includefield: 'Nonsense' }, 'includefield'],
    [{ FFFFFFFF: 'x' }, 'FFFFFFFF'],
  ])('refuses %j, naming %s', (query, name) => {
    expect(() => parseQidoQuery(query)).toThrow(QidoQueryError);
    expect(() => parseQidoQuery(query)).toThrow(new RegExp(`^${name}`));
  });
});

describe('DICOM JSON', () => {
  it('maps keywords and tags both ways', () => {
    expect(tagHex('PatientID')).toBe('00100020');
    expect(tagHex('0020000d')).toBe('0020000D');
    expect(keywordOf('0020000D')).toBe('StudyInstanceUID');
    expect(tagHex('NoSuchKeyword')).toBeUndefined();
  });

  it('writes query attributes with their VRs, names as PN objects, numbers as numbers, empty as no Value', () => {
    expect(
      attributesToJson({
        PatientName: 'DOE^JANE',
        NumberOfStudyRelatedInstances: '5',
        ModalitiesInStudy: 'CT\\SR',
        AccessionNumber: '',
      }),
    ).toEqual({
      '00080050': { vr: 'SH' },
      '00080061': { vr: 'CS', Value: ['CT', 'SR'] },
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^JANE' }] },
      '00201208': { vr: 'IS', Value: [5] },
    });
  });

  it('turns pixel data and large binary values into bulk data URIs, small ones inline, and recurses into sequences', () => {
    const small = new Uint8Array([1, 2, 3, 4]).buffer;
    const large = new Uint8Array(4096).buffer;
    const json = dcmjsToDicomJson(
      {
        '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^JANE' }] },
        '00091010': { vr: 'OB', Value: [small] },
        '00291010': { vr: 'OB', Value: [large] },
        '7FE00010': { vr: 'OW', Value: [large] },
        '00081115': { vr: 'SQ', Value: [{ '0020000E': { vr: 'UI', Value: ['1.2.3'] } }] },
      },
      (tag) => `/bulk/${tag}`,
    );
    expect(json).toEqual({
      '00081115': { vr: 'SQ', Value: [{ '0020000E': { vr: 'UI', Value: ['1.2.3'] } }] },
      '00091010': { vr: 'OB', InlineBinary: Buffer.from([1, 2, 3, 4]).toString('base64') },
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^JANE' }] },
      '00291010': { vr: 'OB', BulkDataURI: '/bulk/00291010' },
      '7FE00010': { vr: 'OW', BulkDataURI: '/bulk/7FE00010' },
    });
  });
});
