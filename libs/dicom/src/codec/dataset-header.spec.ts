import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { deflateRawSync } from 'zlib';
import { DatasetHeader, HEADER_SCAN_LIMIT, HeaderResult, readDatasetHeader } from './dataset-header';
import { splitPart10 } from './part10';
import { TransferSyntax } from './transfer-syntax';

const EXPLICIT_LE = TransferSyntax.ExplicitVrLittleEndian;
const IMPLICIT_LE = TransferSyntax.ImplicitVrLittleEndian;
const EXPLICIT_BE = TransferSyntax.ExplicitVrBigEndian;
const DEFLATED = TransferSyntax.DeflatedExplicitVrLittleEndian;

const EXPECTED: DatasetHeader = {
  specificCharacterSet: 'ISO_IR 100',
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  sopInstanceUid: '1.2.826.0.1.3680043.8.498.10012',
  studyDate: '20240131',
  studyTime: '101500.123',
  accessionNumber: 'ACC-17',
  modality: 'CT',
  studyDescription: 'Thorax CT',
  patientName: 'Müller^Jörg',
  patientId: 'PID-0042',
  issuerOfPatientId: 'HOSP',
  patientBirthDate: '19700101',
  patientSex: 'M',
  studyInstanceUid: '1.2.826.0.1.3680043.8.498.1',
  seriesInstanceUid: '1.2.826.0.1.3680043.8.498.11',
  studyId: 'STUDY7',
  seriesNumber: '3',
  instanceNumber: '12',
};

// Sequences with nested sequences sit before the patient and study attributes on purpose.
const DUMP = `
(0008,0005) CS [ISO_IR 100]
(0008,0008) CS [ORIGINAL\\PRIMARY\\AXIAL]
(0008,0016) UI [${EXPECTED.sopClassUid}]
(0008,0018) UI [${EXPECTED.sopInstanceUid}]
(0008,0020) DA [${EXPECTED.studyDate}]
(0008,0030) TM [${EXPECTED.studyTime}]
(0008,0050) SH [${EXPECTED.accessionNumber}]
(0008,0060) CS [${EXPECTED.modality}]
(0008,0090) PN [Ref^Doc]
(0008,1030) LO [${EXPECTED.studyDescription}]
(0008,1032) SQ (Sequence with undefined length #=2)
  (fffe,e000) na (Item with undefined length #=3)
    (0008,0100) SH [CT-THX]
    (0008,0102) SH [99LOCAL]
    (0008,0104) LO [CT Thorax]
  (fffe,e00d) na (ItemDelimitationItem)
  (fffe,e000) na (Item with undefined length #=2)
    (0008,0100) SH [CT-ABD]
    (0008,0102) SH [99LOCAL]
  (fffe,e00d) na (ItemDelimitationItem)
(fffe,e0dd) na (SequenceDelimitationItem)
(0008,1140) SQ (Sequence with undefined length #=2)
  (fffe,e000) na (Item with undefined length #=3)
    (0008,1150) UI [1.2.840.10008.5.1.4.1.1.2]
    (0008,1155) UI [1.2.3.4.5.6.7]
    (0040,a170) SQ (Sequence with undefined length #=1)
      (fffe,e000) na (Item with undefined length #=3)
        (0008,0100) SH [121311]
        (0008,0102) SH [DCM]
        (0008,0104) LO [Localizer]
      (fffe,e00d) na (ItemDelimitationItem)
    (fffe,e0dd) na (SequenceDelimitationItem)
  (fffe,e00d) na (ItemDelimitationItem)
  (fffe,e000) na (Item with undefined length #=2)
    (0008,1150) UI [1.2.840.10008.5.1.4.1.1.2]
    (0008,1155) UI [1.2.3.4.5.6.8]
  (fffe,e00d) na (ItemDelimitationItem)
(fffe,e0dd) na (SequenceDelimitationItem)
(0009,0010) LO [ACME 1.1]
(0009,1001) OB 01\\02\\03\\04\\05\\06
(0009,1002) SQ (Sequence with undefined length #=1)
  (fffe,e000) na (Item with undefined length #=1)
    (0008,0100) SH [X]
  (fffe,e00d) na (ItemDelimitationItem)
(fffe,e0dd) na (SequenceDelimitationItem)
(0010,0010) PN [${EXPECTED.patientName}]
(0010,0020) LO [${EXPECTED.patientId}]
(0010,0021) LO [${EXPECTED.issuerOfPatientId}]
(0010,0030) DA [${EXPECTED.patientBirthDate}]
(0010,0040) CS [${EXPECTED.patientSex}]
(0018,0050) DS [1.25]
(0020,000d) UI [${EXPECTED.studyInstanceUid}]
(0020,000e) UI [${EXPECTED.seriesInstanceUid}]
(0020,0010) SH [${EXPECTED.studyId}]
(0020,0011) IS [${EXPECTED.seriesNumber}]
(0020,0013) IS [${EXPECTED.instanceNumber}]
(0020,0032) DS [0\\0\\0]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 2
(0028,0011) US 2
(0028,0100) US 16
(0028,0101) US 16
(0028,0102) US 15
(0028,0103) US 0
(7fe0,0010) OW 0001\\0002\\0003\\0004
`;

interface Variant {
  name: string;
  tsUid: string;
  dataset: Buffer;
}

let dir: string;
const variants: Variant[] = [];

function dcmtk(tool: string, args: string[]): void {
  execFileSync(tool, args, { stdio: 'pipe' });
}

function datasetOf(file: string, tsUid: string): Buffer {
  const parts = splitPart10(readFileSync(file));
  expect(parts.transferSyntaxUid).toBe(tsUid);
  return parts.dataset;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dataset-header-'));
  const dump = join(dir, 'fixture.dump');
  writeFileSync(dump, DUMP, 'latin1');
  const syntaxes: [string, string][] = [
    ['+te', EXPLICIT_LE],
    ['+ti', IMPLICIT_LE],
    ['+tb', EXPLICIT_BE],
    ['+td', DEFLATED],
  ];
  for (const [flag, tsUid] of syntaxes) {
    for (const lengths of ['+e', '-e']) {
      const file = join(dir, `fixture${flag}${lengths}.dcm`);
      dcmtk('dump2dcm', [flag, lengths, dump, file]);
      variants.push({ name: `${flag} ${lengths}`, tsUid, dataset: datasetOf(file, tsUid) });
    }
  }
  const source = join(dir, 'fixture+te-e.dcm');
  dcmtk('dcmcjpeg', [source, join(dir, 'jpeg.dcm')]);
  variants.push({
    name: 'dcmcjpeg',
    tsUid: TransferSyntax.JpegLosslessSv1,
    dataset: datasetOf(join(dir, 'jpeg.dcm'), TransferSyntax.JpegLosslessSv1),
  });
  dcmtk('dcmcrle', [source, join(dir, 'rle.dcm')]);
  variants.push({
    name: 'dcmcrle',
    tsUid: TransferSyntax.RleLossless,
    dataset: datasetOf(join(dir, 'rle.dcm'), TransferSyntax.RleLossless),
  });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function headerOf(result: HeaderResult): DatasetHeader {
  if (result.status !== 'ok') {
    throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  }
  return result.header;
}

function expectMalformed(result: HeaderResult, reason: RegExp): void {
  expect(result.status).toBe('malformed');
  expect(result.status === 'malformed' && result.reason).toMatch(reason);
}

// Hand-built data sets for what DCMTK will not write.
function padded(value: string, pad = ' '): Buffer {
  return Buffer.from(value.length % 2 === 0 ? value : value + pad, 'latin1');
}

function tag(group: number, element: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt16LE(group, 0);
  bytes.writeUInt16LE(element, 2);
  return bytes;
}

function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value, 0);
  return bytes;
}

function u16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value, 0);
  return bytes;
}

const LONG = ['OB', 'OW', 'SQ', 'UN', 'UT'];

/** Explicit VR LE element; length overrides the real value length. */
function ex(group: number, element: number, vr: string, value: Buffer | string, length?: number): Buffer {
  const bytes = typeof value === 'string' ? padded(value, vr === 'UI' ? '\0' : ' ') : value;
  const len = length ?? bytes.length;
  const head = LONG.includes(vr)
    ? Buffer.concat([tag(group, element), Buffer.from(vr), u16(0), u32(len)])
    : Buffer.concat([tag(group, element), Buffer.from(vr), u16(len)]);
  return Buffer.concat([head, bytes]);
}

/** Implicit VR LE element. */
function im(group: number, element: number, value: Buffer | string, length?: number): Buffer {
  const bytes = typeof value === 'string' ? padded(value) : value;
  return Buffer.concat([tag(group, element), u32(length ?? bytes.length), bytes]);
}

const UNDEFINED = 0xffffffff;
const itemDelimiter = Buffer.concat([tag(0xfffe, 0xe00d), u32(0)]);
const sequenceDelimiter = Buffer.concat([tag(0xfffe, 0xe0dd), u32(0)]);

function undefinedItem(...elements: Buffer[]): Buffer {
  return Buffer.concat([tag(0xfffe, 0xe000), u32(UNDEFINED), ...elements, itemDelimiter]);
}

/** Explicit VR LE sequence of undefined length. */
function exSeq(group: number, element: number, vr: string, ...items: Buffer[]): Buffer {
  return Buffer.concat([ex(group, element, vr, Buffer.alloc(0), UNDEFINED), ...items, sequenceDelimiter]);
}

const uidTail = Buffer.concat([
  ex(0x0020, 0x000d, 'UI', '1.2.3'),
  ex(0x0020, 0x0013, 'IS', '1'),
  ex(0x0020, 0x0032, 'DS', '0\\0\\0'),
]);

describe('readDatasetHeader on DCMTK-written data sets', () => {
  it('built every variant', () => {
    expect(variants.map((variant) => variant.name)).toEqual([
      '+te +e',
      '+te -e',
      '+ti +e',
      '+ti -e',
      '+tb +e',
      '+tb -e',
      '+td +e',
      '+td -e',
      'dcmcjpeg',
      'dcmcrle',
    ]);
  });

  it('extracts every value from the whole data set', () => {
    for (const { name, tsUid, dataset } of variants) {
      for (const complete of [true, false]) {
        expect({ name, complete, header: headerOf(readDatasetHeader(dataset, tsUid, { complete })) }).toEqual({
          name,
          complete,
          header: EXPECTED,
        });
      }
    }
  });

  it('answers need-more or the right values at every cut of a data set', () => {
    const wrong: string[] = [];
    for (const { name, tsUid, dataset } of variants) {
      let firstOk = -1;
      for (let cut = 0; cut <= dataset.length; cut++) {
        const prefix = dataset.subarray(0, cut);
        const partial = readDatasetHeader(prefix, tsUid, { complete: false });
        if (partial.status === 'ok') {
          firstOk = firstOk < 0 ? cut : firstOk;
          if (JSON.stringify(partial.header) !== JSON.stringify(EXPECTED)) {
            wrong.push(`${name} cut ${cut} incomplete: ${JSON.stringify(partial.header)}`);
          }
        } else if (partial.status !== 'need-more' || firstOk >= 0) {
          wrong.push(`${name} cut ${cut} incomplete: ${JSON.stringify(partial)}`);
        }

        const asWhole = readDatasetHeader(prefix, tsUid, { complete: true });
        if (asWhole.status === 'ok') {
          // A cut on an element boundary looks like a shorter data set: whatever it reports must be right.
          for (const [key, value] of Object.entries(asWhole.header)) {
            if (value !== EXPECTED[key as keyof DatasetHeader]) {
              wrong.push(`${name} cut ${cut} complete: ${key}=${value}`);
            }
          }
        } else if (asWhole.status !== 'malformed') {
          wrong.push(`${name} cut ${cut} complete: ${JSON.stringify(asWhole)}`);
        }
      }
      if (firstOk < 0) {
        wrong.push(`${name}: never ok`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('reports a data set truncated inside an element as malformed when complete', () => {
    const { dataset } = variants[0];
    const cut = dataset.indexOf(Buffer.from(EXPECTED.patientId!, 'latin1')) + 3;
    expectMalformed(readDatasetHeader(dataset.subarray(0, cut), EXPLICIT_LE, { complete: true }), /overruns/);
    expect(readDatasetHeader(dataset.subarray(0, cut), EXPLICIT_LE, { complete: false })).toEqual({
      status: 'need-more',
    });
  });

  it('reports a truncated deflate stream as malformed when complete', () => {
    const deflated = variants.find((variant) => variant.tsUid === DEFLATED)!.dataset;
    expectMalformed(
      readDatasetHeader(deflated.subarray(0, deflated.length - 5), DEFLATED, { complete: true }),
      /deflate|overruns|ends inside/,
    );
  });
});

describe('readDatasetHeader on hand-built data sets', () => {
  it('stops at the first tag after InstanceNumber without reading its value', () => {
    const dataset = Buffer.concat([ex(0x0010, 0x0020, 'LO', 'P1'), uidTail.subarray(0, uidTail.length - 10)]);
    expect(readDatasetHeader(dataset, EXPLICIT_LE, { complete: false })).toEqual({
      status: 'ok',
      header: { patientId: 'P1', studyInstanceUid: '1.2.3', instanceNumber: '1' },
    });
  });

  it('returns ok for a complete data set that ends before the stop tag, need-more when incomplete', () => {
    const dataset = ex(0x0008, 0x0018, 'UI', '1.2.3.4');
    expect(readDatasetHeader(dataset, EXPLICIT_LE, { complete: true })).toEqual({
      status: 'ok',
      header: { sopInstanceUid: '1.2.3.4' },
    });
    expect(readDatasetHeader(dataset, EXPLICIT_LE, { complete: false })).toEqual({ status: 'need-more' });
    expect(readDatasetHeader(Buffer.alloc(0), EXPLICIT_LE, { complete: true })).toEqual({ status: 'ok', header: {} });
    expect(readDatasetHeader(Buffer.alloc(0), EXPLICIT_LE, { complete: false })).toEqual({ status: 'need-more' });
  });

  it('returns hostile UIDs as they are, trimmed of padding only', () => {
    const dataset = Buffer.concat([
      ex(0x0008, 0x0016, 'UI', Buffer.from('1.2.3\0\0\0', 'latin1')),
      ex(0x0008, 0x0018, 'UI', '../x'),
      ex(0x0020, 0x000d, 'UI', Buffer.from('/etc/passwd ', 'latin1')),
      ex(0x0020, 0x000e, 'UI', Buffer.from(' 1.2', 'latin1')),
      ex(0x0020, 0x0032, 'DS', '0'),
    ]);
    expect(headerOf(readDatasetHeader(dataset, EXPLICIT_LE, { complete: true }))).toEqual({
      sopClassUid: '1.2.3',
      sopInstanceUid: '../x',
      studyInstanceUid: '/etc/passwd',
      seriesInstanceUid: ' 1.2',
    });
  });

  it('trims text padding as the VR allows', () => {
    const dataset = Buffer.concat([
      ex(0x0010, 0x0010, 'PN', Buffer.from(' Doe^Jane \0\0', 'latin1')),
      ex(0x0010, 0x0020, 'LO', Buffer.from('  ID 7  ', 'latin1')),
      ex(0x0020, 0x0011, 'IS', Buffer.from(' 12 ', 'latin1')),
      ex(0x0020, 0x0013, 'IS', ''),
    ]);
    expect(headerOf(readDatasetHeader(dataset, EXPLICIT_LE, { complete: true }))).toEqual({
      patientName: ' Doe^Jane',
      patientId: 'ID 7',
      seriesNumber: '12',
      instanceNumber: '',
    });
  });

  it('reads a target attribute that arrives as UN', () => {
    const dataset = Buffer.concat([ex(0x0010, 0x0020, 'UN', 'PID9'), uidTail]);
    expect(headerOf(readDatasetHeader(dataset, EXPLICIT_LE, { complete: true })).patientId).toBe('PID9');
  });

  it('skips an UN of undefined length holding an implicit VR sequence', () => {
    const implicitItems = Buffer.concat([
      undefinedItem(
        im(0x0008, 0x0100, 'A'),
        Buffer.concat([im(0x0040, 0xa170, Buffer.alloc(0), UNDEFINED), undefinedItem(im(0x0008, 0x0100, 'B'))]),
        sequenceDelimiter,
      ),
    ]);
    const dataset = Buffer.concat([exSeq(0x0009, 0x1010, 'UN', implicitItems), uidTail]);
    expect(headerOf(readDatasetHeader(dataset, EXPLICIT_LE, { complete: true }))).toEqual({
      studyInstanceUid: '1.2.3',
      instanceNumber: '1',
    });
  });

  it('skips encapsulated pixel data inside an item', () => {
    const fragments = Buffer.concat([
      tag(0xfffe, 0xe000),
      u32(0),
      tag(0xfffe, 0xe000),
      u32(4),
      Buffer.from([0xff, 0xd8, 0xff, 0xd9]),
      sequenceDelimiter,
    ]);
    const pixelData = Buffer.concat([ex(0x7fe0, 0x0010, 'OB', Buffer.alloc(0), UNDEFINED), fragments]);
    const dataset = Buffer.concat([exSeq(0x0009, 0x1010, 'SQ', undefinedItem(pixelData)), uidTail]);
    expect(headerOf(readDatasetHeader(dataset, EXPLICIT_LE, { complete: true })).instanceNumber).toBe('1');
  });

  it('bounds sequence nesting', () => {
    const nest = (depth: number): Buffer =>
      depth === 0 ? ex(0x0008, 0x0100, 'SH', 'X') : exSeq(0x0008, 0x1140, 'SQ', undefinedItem(nest(depth - 1)));
    const shallow = Buffer.concat([nest(32), uidTail]);
    expect(headerOf(readDatasetHeader(shallow, EXPLICIT_LE, { complete: true })).instanceNumber).toBe('1');
    expectMalformed(readDatasetHeader(Buffer.concat([nest(33), uidTail]), EXPLICIT_LE, { complete: true }), /nested/);
    expectMalformed(readDatasetHeader(Buffer.concat([nest(200), uidTail]), EXPLICIT_LE, { complete: false }), /nested/);
  });

  it('rejects an element length that overruns a complete buffer', () => {
    const target = Buffer.concat([ex(0x0010, 0x0020, 'LO', 'P1', 0x100)]);
    expectMalformed(readDatasetHeader(target, EXPLICIT_LE, { complete: true }), /overruns/);
    expect(readDatasetHeader(target, EXPLICIT_LE, { complete: false })).toEqual({ status: 'need-more' });

    const skipped = Buffer.concat([ex(0x0009, 0x1001, 'OB', Buffer.alloc(8), 0xfffffff0), uidTail]);
    expectMalformed(readDatasetHeader(skipped, EXPLICIT_LE, { complete: true }), /overruns/);
    expect(readDatasetHeader(skipped, EXPLICIT_LE, { complete: false })).toEqual({ status: 'need-more' });

    const item = exSeq(0x0008, 0x1140, 'SQ', Buffer.concat([tag(0xfffe, 0xe000), u32(0x1000), Buffer.alloc(16)]));
    expectMalformed(readDatasetHeader(item, EXPLICIT_LE, { complete: true }), /overruns/);
  });

  it('rejects odd and absurd lengths', () => {
    expectMalformed(
      readDatasetHeader(Buffer.concat([ex(0x0009, 0x1001, 'OB', Buffer.alloc(3)), uidTail]), EXPLICIT_LE, {
        complete: true,
      }),
      /odd length/,
    );
    expectMalformed(
      readDatasetHeader(Buffer.concat([im(0x0010, 0x0020, Buffer.alloc(0x20000)), uidTail]), IMPLICIT_LE, {
        complete: true,
      }),
      /invalid length/,
    );
  });

  it('rejects tags out of ascending order, and repeated tags', () => {
    const outOfOrder = Buffer.concat([ex(0x0010, 0x0020, 'LO', 'P1'), ex(0x0008, 0x0018, 'UI', '1.2'), uidTail]);
    expectMalformed(readDatasetHeader(outOfOrder, EXPLICIT_LE, { complete: false }), /not after/);
    const repeated = Buffer.concat([ex(0x0010, 0x0020, 'LO', 'P1'), ex(0x0010, 0x0020, 'LO', 'P2'), uidTail]);
    expectMalformed(readDatasetHeader(repeated, EXPLICIT_LE, { complete: true }), /not after/);
    const afterStop = Buffer.concat([ex(0x0020, 0x0013, 'IS', '1'), ex(0x0010, 0x0020, 'LO', 'P1')]);
    expectMalformed(readDatasetHeader(afterStop, EXPLICIT_LE, { complete: true }), /not after/);
  });

  it('rejects an undefined length on an element that is neither a sequence nor pixel data', () => {
    expectMalformed(
      readDatasetHeader(Buffer.concat([im(0x0010, 0x0020, Buffer.alloc(0), UNDEFINED), uidTail]), IMPLICIT_LE, {
        complete: true,
      }),
      /encoded as a sequence/,
    );
    expectMalformed(
      readDatasetHeader(Buffer.concat([exSeq(0x0009, 0x1001, 'OB'), uidTail]), EXPLICIT_LE, { complete: true }),
      /undefined length/,
    );
  });

  it('rejects an invalid VR and stray items', () => {
    const badVr = Buffer.concat([ex(0x0010, 0x0020, 'LO', 'P1')]);
    badVr.write('l0', 4, 'latin1');
    expectMalformed(readDatasetHeader(badVr, EXPLICIT_LE, { complete: true }), /invalid VR/);
    const strayInItem = exSeq(0x0008, 0x1140, 'SQ', undefinedItem(Buffer.concat([tag(0xfffe, 0xe000), u32(0)])));
    expectMalformed(readDatasetHeader(strayInItem, EXPLICIT_LE, { complete: true }), /unexpected \(FFFE,E000\)/);
    const notAnItem = exSeq(0x0008, 0x1140, 'SQ', ex(0x0008, 0x0100, 'SH', 'X'));
    expectMalformed(readDatasetHeader(notAnItem, EXPLICIT_LE, { complete: true }), /unexpected \(0008,0100\)/);
  });

  it('reads deflated data sets whose header lies beyond the first inflated slice', () => {
    const noise = randomBytes(256 * 1024);
    const raw = Buffer.concat([ex(0x0009, 0x1001, 'OB', noise), ex(0x0010, 0x0020, 'LO', 'P1'), uidTail]);
    const deflated = deflateRawSync(raw);
    expect(deflated.length).toBeGreaterThan(64 * 1024);
    for (const complete of [true, false]) {
      expect(headerOf(readDatasetHeader(deflated, DEFLATED, { complete })).patientId).toBe('P1');
    }
  });

  it('bounds what a deflate bomb may inflate to', () => {
    const raw = Buffer.concat([ex(0x0009, 0x1001, 'OB', Buffer.alloc(64 << 20)), uidTail]);
    const bomb = deflateRawSync(raw, { level: 9 });
    expect(bomb.length).toBeLessThan(HEADER_SCAN_LIMIT);
    for (const complete of [true, false]) {
      expectMalformed(readDatasetHeader(bomb, DEFLATED, { complete }), /inflates to more than/);
    }
  });

  it('never throws on random or mutated input', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 8;
    };
    const inputs: Buffer[] = [];
    for (let i = 0; i < 500; i++) {
      const bytes = Buffer.alloc(random() % 300);
      for (let j = 0; j < bytes.length; j++) {
        bytes[j] = random() & 0xff;
      }
      inputs.push(bytes);
    }
    for (const { dataset } of variants) {
      for (let i = 0; i < 100; i++) {
        const mutated = Buffer.from(dataset);
        for (let flips = random() % 4; flips >= 0; flips--) {
          mutated[random() % mutated.length] = random() & 0xff;
        }
        inputs.push(mutated);
      }
    }
    const failures: string[] = [];
    for (const input of inputs) {
      for (const tsUid of [EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE, DEFLATED]) {
        for (const complete of [true, false]) {
          const result = readDatasetHeader(input, tsUid, { complete });
          if (result.status === 'malformed' && result.reason.startsWith('header scan failed')) {
            failures.push(result.reason);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
