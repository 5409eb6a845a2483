import { splitPart10 } from '@hub/dicom';
import { CoercionRule, applyCoercion } from '@hub/coercion';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StorescpHandle, freePort, parseDcmdump, runDcmtk, startStorescp, storescu } from './support/dcmtk';
import { Tag, buildInstance, newUid, writePart10 } from './support/dicom-factory';
import { receivedDatasets } from './support/storescp-output';
import { TestHub, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';
const latin1 = (text: string) => Buffer.from(text, 'latin1');
/** RA7 receives PatientID prefixed, and an InstitutionName with a character outside ASCII. */
const RA7_COERCION: CoercionRule[] = [
  { op: 'prefix', tag: 'PatientID', value: '{sender.code}-' },
  { op: 'set', tag: 'InstitutionName', value: 'Hôpital {sender.code}' },
];
const CONTEXT = { sender: { code: 'RVJ', patientIdIssuer: 'RVJ' }, recipient: { code: 'RA7' } };

interface NameCase {
  label: string;
  patientId: string;
  /** (0008,0005) of the instance, and of the query that finds it. */
  characterSet: string;
  /** PatientName as the instance holds it. */
  nameBytes: Buffer;
  name: string;
  /** A wildcard key on the non-ASCII part, in the query's character set. */
  keyBytes: Buffer;
  /** The coerced InstitutionName's bytes in this set; undefined when the set cannot hold it (original kept). */
  institutionBytes?: Buffer;
}

const CASES: NameCase[] = [
  {
    label: 'ISO_IR 100',
    patientId: 'CS100',
    characterSet: 'ISO_IR 100',
    nameBytes: latin1('M\xdcLLER^REN\xc9E'),
    name: 'MÜLLER^RENÉE',
    keyBytes: latin1('M\xdcL*'),
    institutionBytes: latin1('H\xf4pital RVJ'),
  },
  {
    label: 'ISO_IR 192',
    patientId: 'CS192',
    characterSet: 'ISO_IR 192',
    nameBytes: Buffer.from('ŻÓŁĆ^ŁUKASZ=山田^太郎', 'utf8'),
    name: 'ŻÓŁĆ^ŁUKASZ=山田^太郎',
    keyBytes: Buffer.from('ŻÓŁĆ*', 'utf8'),
    institutionBytes: Buffer.from('Hôpital RVJ', 'utf8'),
  },
  {
    label: 'ISO 2022 IR 87 (PS3.5 H.3)',
    patientId: 'CS2022',
    characterSet: '\\ISO 2022 IR 87',
    nameBytes: latin1('Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B'),
    name: 'Yamada^Tarou=山田^太郎=やまだ^たろう',
    // やまだ* : matches the phonetic component group (山田* would find the UTF-8 name's ideographic group too).
    keyBytes: latin1('\x1b$B$d$^$@\x1b(B*'),
  },
];

/**
 * RVJ_PACS sends each name with storescu; the hub indexes it, RA7_VIEW (a pulling node) finds it with
 * findscu in its own character set, and RA7_PACS (a storescp) receives it with RA7's coercion applied.
 */
describe('character sets end to end (storescu, findscu, storescp)', () => {
  let work: string;
  let hub: TestHub;
  let scp: StorescpHandle;
  const sent = new Map<string, { file: string; studyInstanceUid: string; sopInstanceUid: string }>();

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-charsets-'));
    const outputDir = mkdtempSync(path.join(work, 'pacs-'));
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir });
    const viewPort = await freePort();
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds: 1,
      configure: (raw) => {
        const ra7 = raw.trusts.find((trust) => trust.code === 'RA7')!;
        ra7.nodes[0].port = scp.port;
        ra7.nodes.push({
          aeTitle: 'RA7_VIEW',
          host: HOST,
          port: viewPort,
          allowedIps: [HOST],
          send: false,
          receive: 'pull',
        } as (typeof ra7.nodes)[number]);
        ra7.coercion = RA7_COERCION;
      },
    });
    for (const nameCase of CASES) {
      const file = path.join(work, `${nameCase.patientId}.dcm`);
      const studyInstanceUid = newUid();
      const sopInstanceUid = newUid();
      const dataset = buildInstance(
        'mr-small',
        {
          patientId: nameCase.patientId,
          patientName: 'PLACEHOLDER',
          studyInstanceUid,
          accessionNumber: `A${nameCase.patientId}`,
          seriesInstanceUid: newUid(),
          seriesNumber: 1,
          frameOfReferenceUid: newUid(),
          instanceNumber: 1,
          now: new Date(),
        },
        sopInstanceUid,
      ).filter((element) => element.tag !== Tag.SpecificCharacterSet && element.tag !== Tag.PatientName);
      dataset.push(
        { tag: Tag.SpecificCharacterSet, vr: 'CS', value: nameCase.characterSet },
        { tag: Tag.PatientName, vr: 'PN', value: padded(nameCase.nameBytes) },
      );
      writePart10(file, dataset);
      sent.set(nameCase.patientId, { file, studyInstanceUid, sopInstanceUid });
    }
    const stored = await storescu(
      HOST,
      hub.port,
      'RVJ_PACS',
      'RA7_EMER',
      [...sent.values()].map((instance) => instance.file),
    );
    expect(stored.stores.map((store) => store.status)).toEqual(CASES.map(() => 0));
    await waitFor('every study delivered', async () => {
      const rows = (await hub.dataSource.query(
        `SELECT t.state FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.patient_id IN (?, ?, ?)`,
        CASES.map((nameCase) => nameCase.patientId),
      )) as Array<{ state: string }>;
      return rows.length === CASES.length && rows.every((row) => row.state === 'delivered') ? rows : undefined;
    });
  });

  afterAll(async () => {
    await hub?.destroy();
    await scp?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** findscu with a query file (so that its values can be in any character set); each response, read three ways. */
  async function find(lines: Array<string | Buffer>) {
    const dir = mkdtempSync(path.join(work, 'find-'));
    const dump = Buffer.concat(lines.flatMap((line) => [typeof line === 'string' ? latin1(line) : line, latin1('\n')]));
    writeFileSync(path.join(dir, 'query.dump'), dump);
    execFileSync('dump2dcm', [path.join(dir, 'query.dump'), path.join(dir, 'query.dcm')]);
    const result = await runDcmtk(
      'findscu',
      ['-v', '-S', '-X', '-aet', 'RA7_VIEW', '-aec', 'IEP_HUB', HOST, String(hub.port), 'query.dcm'],
      { cwd: dir, timeoutMs: 60_000 },
    );
    expect(result.code).toBe(0);
    const responses = [];
    for (const name of readdirSync(dir)
      .filter((file) => /^rsp\d+\.dcm$/.test(file))
      .sort()) {
      const file = path.join(dir, name);
      responses.push({
        raw: splitPart10(readFileSync(file)).dataset,
        declared: parseDcmdump((await runDcmtk('dcmdump', [file])).stdout),
        text: utf8Dump(file),
      });
    }
    return responses;
  }

  const queryKeys = (characterSet: string, name: Buffer | string) => [
    `(0008,0005) CS [${characterSet}]`,
    '(0008,0052) CS [STUDY]',
    Buffer.concat([latin1('(0010,0010) PN ['), typeof name === 'string' ? latin1(name) : name, latin1(']')]),
    '(0010,0020) LO []',
    '(0020,000d) UI []',
  ];

  it.each(CASES)('$label: indexed as its text', async (nameCase) => {
    const [row] = (await hub.dataSource.query('SELECT patient_name AS name FROM studies WHERE patient_id = ?', [
      nameCase.patientId,
    ])) as Array<{ name: string }>;
    expect(row.name).toBe(nameCase.name);
  });

  it.each(CASES)(
    '$label: found by a wildcard on the non-ASCII part, answered in the set asked in',
    async (nameCase) => {
      const responses = await find(queryKeys(nameCase.characterSet, nameCase.keyBytes));
      expect(responses).toHaveLength(1);
      const [response] = responses;
      expect(response.declared.SpecificCharacterSet).toBe(nameCase.characterSet);
      expect(response.raw.includes(nameCase.nameBytes)).toBe(true);
      expect(response.text).toMatchObject({
        PatientName: nameCase.characterSet.includes('2022') ? nameCase.nameBytes.toString('latin1') : nameCase.name,
        PatientID: `RVJ-${nameCase.patientId}`,
        StudyInstanceUID: sent.get(nameCase.patientId)!.studyInstanceUid,
      });
    },
  );

  it('answers in ISO_IR 192 when the set asked in cannot hold a value, or none was asked for', async () => {
    const polish = await find([
      '(0008,0005) CS [ISO_IR 100]',
      '(0008,0052) CS [STUDY]',
      '(0010,0010) PN []',
      '(0010,0020) LO [RVJ-CS192]',
    ]);
    expect(polish).toHaveLength(1);
    expect(polish[0].declared.SpecificCharacterSet).toBe('ISO_IR 192');
    expect(polish[0].raw.includes(Buffer.from('ŻÓŁĆ^ŁUKASZ=山田^太郎', 'utf8'))).toBe(true);
    // Orthanc's case: a caller that declares nothing gets MÜLLER in UTF-8, declared so.
    const german = await find(['(0008,0052) CS [STUDY]', '(0010,0010) PN []', '(0010,0020) LO [RVJ-CS100]']);
    expect(german).toHaveLength(1);
    expect(german[0].declared.SpecificCharacterSet).toBe('ISO_IR 192');
    expect(german[0].text.PatientName).toBe('MÜLLER^RENÉE');
    // ASCII answers to a caller that declares nothing declare nothing either.
    const plain = await find(['(0008,0052) CS [STUDY]', '(0010,0020) LO [RVJ-CS100]', '(0020,000d) UI []']);
    expect(plain).toHaveLength(1);
    expect(plain[0].declared.SpecificCharacterSet).toBeUndefined();
  });

  it.each(CASES)(
    "$label: delivered as sent apart from the coercion, written in the data set's own set",
    async (nameCase) => {
      const instance = sent.get(nameCase.patientId)!;
      const received = receivedDatasets(scp.outputDir).get(instance.sopInstanceUid);
      const original = splitPart10(readFileSync(instance.file)).dataset;
      const expected = applyCoercion(original, '1.2.840.10008.1.2.1', RA7_COERCION, CONTEXT);
      expect(received?.equals(expected.dataset)).toBe(true);
      expect(received!.includes(nameCase.nameBytes)).toBe(true);
      const file = readdirSync(scp.outputDir)
        .map((name) => path.join(scp.outputDir, name))
        .find((name) => readFileSync(name).includes(latin1(instance.sopInstanceUid)))!;
      const declared = parseDcmdump(execFileSync('dcmdump', [file]).toString('latin1'));
      const text = utf8Dump(file);
      expect(declared.SpecificCharacterSet).toBe(nameCase.characterSet);
      expect(text.PatientName).toBe(
        nameCase.characterSet.includes('2022') ? nameCase.nameBytes.toString('latin1') : nameCase.name,
      );
      expect(text.PatientID).toBe(`RVJ-${nameCase.patientId}`);
      if (nameCase.institutionBytes) {
        expect(received!.includes(nameCase.institutionBytes)).toBe(true);
        expect(text.InstitutionName).toBe('Hôpital RVJ');
        expect(expected.problems).toEqual([]);
      } else {
        // JIS X 0208 has no ô: the original stays, and the transfer says why.
        expect(text.InstitutionName).toBe('Test Trust');
        const [transfer] = (await hub.dataSource.query(
          `SELECT t.flag FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.patient_id = ?`,
          [nameCase.patientId],
        )) as Array<{ flag: string | null }>;
        expect(transfer.flag).toContain('(0008,0080): the new value has characters \\ISO 2022 IR 87 cannot hold');
      }
      // The stored original is the file as sent.
      const [row] = (await hub.dataSource.query(
        'SELECT storage_path AS storagePath FROM instances WHERE sop_instance_uid = ?',
        [instance.sopInstanceUid],
      )) as Array<{ storagePath: string }>;
      expect(splitPart10(readFileSync(path.join(hub.storageDir, row.storagePath))).dataset.equals(original)).toBe(true);
    },
  );
});

/**
 * DCMTK's own conversion of a file's text to UTF-8, per the (0008,0005) it declares. Debian's DCMTK
 * converts through glibc's iconv, which has no ISO 2022 IR 87: those values are read as raw bytes (and
 * the tests compare them with PS3.5 H.3's).
 */
function utf8Dump(file: string): Record<string, string> {
  const raw = parseDcmdump(execFileSync('dcmdump', [file]).toString('latin1'));
  if (raw.SpecificCharacterSet?.includes('2022')) {
    return raw;
  }
  return parseDcmdump(execFileSync('dcmdump', ['+U8', file]).toString('utf8'));
}

/** A text value padded to even length with a space, as PS3.5 6.2 pads it. */
function padded(value: Buffer): Buffer {
  return value.length % 2 === 0 ? value : Buffer.concat([value, latin1(' ')]);
}
