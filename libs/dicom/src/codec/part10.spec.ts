import { execFileSync, spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { buildPart10Header, HUB_IMPLEMENTATION_CLASS_UID, HUB_IMPLEMENTATION_VERSION, splitPart10 } from './part10';
import { TransferSyntax } from './transfer-syntax';
import { isValidUid } from './uid';

const SOP_CLASS_UID = '1.2.840.10008.5.1.4.1.1.7';
// Odd lengths, so the writer has to pad.
const SOP_INSTANCE_UID = '1.2.826.0.1.3680043.8.498.777';
const SOURCE_AE_TITLE = 'MODALITY1';

const DUMP = `
(0008,0016) UI [${SOP_CLASS_UID}]
(0008,0018) UI [${SOP_INSTANCE_UID}]
(0008,1140) SQ (Sequence with undefined length #=1)
  (fffe,e000) na (Item with undefined length #=1)
    (0008,1155) UI [1.2.3.4]
  (fffe,e00d) na (ItemDelimitationItem)
(fffe,e0dd) na (SequenceDelimitationItem)
(0010,0020) LO [PID-1]
(0020,000d) UI [1.2.3]
`;

const SYNTAXES: [string, string][] = [
  ['+te', TransferSyntax.ExplicitVrLittleEndian],
  ['+ti', TransferSyntax.ImplicitVrLittleEndian],
  ['+tb', TransferSyntax.ExplicitVrBigEndian],
  ['+td', TransferSyntax.DeflatedExplicitVrLittleEndian],
];

let dir: string;
let dumpFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'part10-'));
  dumpFile = join(dir, 'fixture.dump');
  writeFileSync(dumpFile, DUMP, 'latin1');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function dump2dcm(args: string[], name: string): Buffer {
  const file = join(dir, name);
  execFileSync('dump2dcm', [...args, dumpFile, file], { stdio: 'pipe' });
  return readFileSync(file);
}

/** dcmdump's view of a file: tag -> printed value, failing on any warning or error. */
function dcmdump(file: Buffer): Map<string, string> {
  const path = join(dir, 'dump-me.dcm');
  writeFileSync(path, file);
  const run = spawnSync('dcmdump', ['-Un', path], { encoding: 'utf8' });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  const values = new Map<string, string>();
  for (const match of run.stdout.matchAll(/^\s*\(([0-9a-f]{4},[0-9a-f]{4})\) \w\w (.*?)\s+#/gm)) {
    values.set(match[1], match[2]);
  }
  return values;
}

function header(transferSyntaxUid: string): Buffer {
  return buildPart10Header({
    sopClassUid: SOP_CLASS_UID,
    sopInstanceUid: SOP_INSTANCE_UID,
    transferSyntaxUid,
    sourceAeTitle: SOURCE_AE_TITLE,
  });
}

describe('buildPart10Header', () => {
  it('writes a preamble and file meta group that dcmdump reads, for every data set encoding', () => {
    for (const [flag, tsUid] of SYNTAXES) {
      const dataset = dump2dcm(['-F', flag], `dataset${flag}.raw`);
      const meta = header(tsUid);
      const values = dcmdump(Buffer.concat([meta, dataset]));
      expect(Object.fromEntries([...values].filter(([tag]) => tag.startsWith('0002')))).toEqual({
        '0002,0000': String(meta.length - 144),
        '0002,0001': '00\\01',
        '0002,0002': `[${SOP_CLASS_UID}]`,
        '0002,0003': `[${SOP_INSTANCE_UID}]`,
        '0002,0010': `[${tsUid}]`,
        '0002,0012': `[${HUB_IMPLEMENTATION_CLASS_UID}]`,
        '0002,0013': `[${HUB_IMPLEMENTATION_VERSION}]`,
        '0002,0016': `[${SOURCE_AE_TITLE}]`,
      });
      expect({ flag, patientId: values.get('0010,0020'), item: values.get('0008,1155') }).toEqual({
        flag,
        patientId: '[PID-1]',
        item: '[1.2.3.4]',
      });
    }
  });

  it('pads UIDs with NUL and strings with spaces', () => {
    const meta = buildPart10Header({
      sopClassUid: SOP_CLASS_UID,
      sopInstanceUid: SOP_INSTANCE_UID,
      transferSyntaxUid: TransferSyntax.ExplicitVrLittleEndian,
      sourceAeTitle: ' CT1 ',
      implementationClassUid: '1.2.3',
      implementationVersionName: 'X',
    });
    expect(meta.subarray(0, 128).equals(Buffer.alloc(128))).toBe(true);
    expect(meta.toString('latin1', 128, 132)).toBe('DICM');
    expect(meta.includes(Buffer.from(`UI\x1e\x00${SOP_INSTANCE_UID}\0`, 'latin1'))).toBe(true);
    expect(meta.includes(Buffer.from('UI\x06\x001.2.3\0', 'latin1'))).toBe(true);
    expect(meta.includes(Buffer.from('SH\x02\x00X ', 'latin1'))).toBe(true);
    expect(meta.subarray(meta.length - 12).equals(Buffer.from('\x02\x00\x16\x00AE\x04\x00CT1 ', 'latin1'))).toBe(true);
  });

  it('refuses identifiers that would make a broken file', () => {
    const base = {
      sopClassUid: SOP_CLASS_UID,
      sopInstanceUid: SOP_INSTANCE_UID,
      transferSyntaxUid: TransferSyntax.ExplicitVrLittleEndian,
      sourceAeTitle: SOURCE_AE_TITLE,
    };
    expect(() => buildPart10Header({ ...base, sopInstanceUid: '../x' })).toThrow(/sopInstanceUid/);
    expect(() => buildPart10Header({ ...base, transferSyntaxUid: '' })).toThrow(/transferSyntaxUid/);
    expect(() => buildPart10Header({ ...base, sourceAeTitle: 'A\\B' })).toThrow(/sourceAeTitle/);
    expect(() => buildPart10Header({ ...base, implementationVersionName: 'x'.repeat(17) })).toThrow(
      /implementationVersionName/,
    );
    expect(() => buildPart10Header({ ...base, transferSyntaxUid: `${base.transferSyntaxUid}\0` })).not.toThrow();
  });

  it('uses a valid hub implementation class UID under 2.25', () => {
    expect(isValidUid(HUB_IMPLEMENTATION_CLASS_UID)).toBe(true);
    expect(HUB_IMPLEMENTATION_CLASS_UID.startsWith('2.25.')).toBe(true);
  });
});

describe('splitPart10', () => {
  it('round-trips buildPart10Header plus a data set', () => {
    for (const [flag, tsUid] of SYNTAXES) {
      const dataset = dump2dcm(['-F', flag], `dataset${flag}.raw`);
      const meta = header(tsUid);
      const parts = splitPart10(Buffer.concat([meta, dataset]));
      expect(parts.meta.equals(meta)).toBe(true);
      expect(parts.dataset.equals(dataset)).toBe(true);
      expect(parts.transferSyntaxUid).toBe(tsUid);
    }
  });

  it('finds the data set DCMTK wrote into a file', () => {
    for (const [flag, tsUid] of SYNTAXES) {
      const parts = splitPart10(dump2dcm(['+F', flag], `file${flag}.dcm`));
      expect(parts.transferSyntaxUid).toBe(tsUid);
      expect(parts.dataset.equals(dump2dcm(['-F', flag], `dataset${flag}.raw`))).toBe(true);
    }
  });

  it('walks group 0002 when the group length is wrong or missing', () => {
    const dataset = dump2dcm(['-F', '+te'], 'dataset.raw');
    const meta = header(TransferSyntax.ExplicitVrLittleEndian);
    for (const delta of [-2, 2, 1000]) {
      const wrong = Buffer.from(meta);
      wrong.writeUInt32LE(meta.readUInt32LE(140) + delta, 140);
      const parts = splitPart10(Buffer.concat([wrong, dataset]));
      expect({ delta, offset: parts.meta.length }).toEqual({ delta, offset: meta.length });
      expect(parts.dataset.equals(dataset)).toBe(true);
    }
    const withoutGroupLength = Buffer.concat([meta.subarray(0, 132), meta.subarray(144)]);
    const parts = splitPart10(Buffer.concat([withoutGroupLength, dataset]));
    expect(parts.dataset.equals(dataset)).toBe(true);
    expect(parts.transferSyntaxUid).toBe(TransferSyntax.ExplicitVrLittleEndian);
  });

  it('trusts a correct group length over a data set that starts with group 0002', () => {
    // Some senders leave file meta elements in the data set; they belong to what was received.
    const stray = Buffer.from('\x02\x00\x16\x00AE\x04\x00OTHR', 'latin1');
    const dataset = Buffer.concat([stray, dump2dcm(['-F', '+te'], 'dataset.raw')]);
    const parts = splitPart10(Buffer.concat([header(TransferSyntax.ExplicitVrLittleEndian), dataset]));
    expect(parts.dataset.equals(dataset)).toBe(true);
  });

  it('refuses what is not a Part-10 file', () => {
    expect(() => splitPart10(Buffer.alloc(10))).toThrow(/DICM/);
    expect(() => splitPart10(Buffer.alloc(200))).toThrow(/DICM/);
    const meta = header(TransferSyntax.ExplicitVrLittleEndian);
    expect(() => splitPart10(meta.subarray(0, meta.length - 3))).toThrow(/truncated/);
    const noTransferSyntax = Buffer.concat([meta.subarray(0, 132), Buffer.from('\x10\x00\x20\x00LO\x02\x00P1')]);
    expect(() => splitPart10(noTransferSyntax)).toThrow(/TransferSyntaxUID/);
  });
});
