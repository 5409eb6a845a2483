import { splitPart10 } from '@hub/dicom';
import { CoercionRule, applyCoercion } from '@hub/coercion';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findscu, freePort, movescu, storescu } from './support/dcmtk';
import { GeneratedStudy, makeStudy } from './support/dicom-factory';
import { TestHub, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';
const RA7_COERCION: CoercionRule[] = [
  { op: 'prefix', tag: 'AccessionNumber', value: '{sender.code}-' },
  { op: 'set', tag: 'IssuerOfPatientID', value: '{sender.patientIdIssuer}' },
];

/**
 * RA7 pulls: its PACS (RA7_PACS, receive: pull) queries the hub AE with findscu and retrieves with
 * movescu, which also plays RA7_PACS's store SCP on the port the hub has configured for it.
 */
describe('pull by C-FIND/C-MOVE on the hub AE (findscu, movescu)', () => {
  let work: string;
  let hub: TestHub;
  let pullPort: number;
  let forRa7: GeneratedStudy;
  let forRvj: GeneratedStudy;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-pull-'));
    pullPort = await freePort();
    hub = await startTestHub({
      apps: ['receiver', 'router'],
      stableStudySeconds: 1,
      configure: (raw) => {
        const ra7 = raw.trusts.find((trust) => trust.code === 'RA7')!;
        Object.assign(ra7.nodes[0], { receive: 'pull', port: pullPort });
        ra7.coercion = RA7_COERCION;
        raw.agreements.push({ from: 'RA7', to: 'RVJ', folders: ['emergency'] });
        // A sensitive patient: still pulled by the recipient's PACS, but every access is a Security Alert.
        Object.assign(raw, { restrictedPatientIds: ['PUL0001'] });
      },
    });
    forRa7 = await makeStudy(path.join(work, 'ra7'), {
      patientId: 'PUL0001',
      patientName: 'PULL^ALICE',
      accessionNumber: 'ACC100',
      series: [
        { kind: 'mr-small', count: 3 },
        { kind: 'ct', count: 2 },
      ],
    });
    forRvj = await makeStudy(path.join(work, 'rvj'), {
      patientId: 'PUL0002',
      patientName: 'PULL^BOB',
      accessionNumber: 'ACC200',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    expect((await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', forRa7.files)).code).toBe(0);
    expect((await storescu(HOST, hub.port, 'RA7_PACS', 'RVJ_EMER', forRvj.files)).code).toBe(0);
    await waitFor('both studies filed', async () => {
      const rows = (await hub.dataSource.query(
        `SELECT t.state FROM transfers t JOIN studies s ON s.id = t.study_id
          WHERE s.study_instance_uid IN (?, ?)`,
        [forRa7.studyInstanceUid, forRvj.studyInstanceUid],
      )) as Array<{ state: string }>;
      return rows.length === 2 && rows.every((row) => row.state === 'awaiting-pull' || row.state === 'queued')
        ? rows
        : undefined;
    });
  });

  afterAll(async () => {
    await hub?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  const find = (level: 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE', keys: string[], calling = 'RA7_PACS') =>
    findscu(HOST, hub.port, calling, 'IEP_HUB', level, keys, mkdtempSync(path.join(work, 'find-')));

  it("finds only studies in the caller's own trust's folders, with the values that trust receives", async () => {
    const result = await find('STUDY', [
      'PatientName=PULL*',
      'PatientID',
      'IssuerOfPatientID',
      'StudyInstanceUID',
      'AccessionNumber',
      'ModalitiesInStudy',
      'NumberOfStudyRelatedInstances',
    ]);
    expect(result.finalStatus).toBe(0);
    expect(result.matches).toHaveLength(1);
    expect(result.matches[0]).toMatchObject({
      PatientID: 'PUL0001',
      IssuerOfPatientID: 'RVJ',
      StudyInstanceUID: forRa7.studyInstanceUid,
      AccessionNumber: 'RVJ-ACC100',
      NumberOfStudyRelatedInstances: '5',
      QueryRetrieveLevel: 'STUDY',
    });
    expect(result.matches[0].ModalitiesInStudy.split('\\').sort()).toEqual(['CT', 'MR']);
    const audited = (await hub.dataSource.query(
      `SELECT actor_ae_title AS actor, destination_trust AS trust, JSON_EXTRACT(detail, '$.matches') AS matches
         FROM audit_events WHERE event = 'query-performed' ORDER BY id DESC LIMIT 1`,
    )) as Array<{ actor: string; trust: string; matches: number }>;
    expect(audited).toEqual([{ actor: 'RA7_PACS', trust: 'RA7', matches: 1 }]);
  });

  it('matches on the morphed values, date ranges and UID lists, and answers nothing for the others', async () => {
    const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    expect((await find('STUDY', ['AccessionNumber=RVJ-ACC100', 'StudyInstanceUID'])).matches).toHaveLength(1);
    expect((await find('STUDY', ['AccessionNumber=ACC100', 'StudyInstanceUID'])).matches).toHaveLength(0);
    // Other specs share the database (and RA7's folders): scope by this spec's patients.
    expect((await find('STUDY', [`StudyDate=19000101-${today}`, 'PatientID=PUL*'])).matches).toHaveLength(1);
    expect((await find('STUDY', ['StudyDate=19000101-19000102', 'PatientID=PUL*'])).matches).toHaveLength(0);
    const list = await find('STUDY', [`StudyInstanceUID=${forRvj.studyInstanceUid}\\${forRa7.studyInstanceUid}`]);
    expect(list.matches.map((match) => match.StudyInstanceUID)).toEqual([forRa7.studyInstanceUid]);
    // RVJ's own pull node sees RVJ's folder only.
    const rvj = await find('STUDY', ['PatientID=PUL*', 'StudyInstanceUID'], 'RVJ_VIEW');
    expect(rvj.matches.map((match) => match.StudyInstanceUID)).toEqual([forRvj.studyInstanceUid]);
  });

  it('answers SERIES and IMAGE level queries within a study', async () => {
    const series = await find('SERIES', [
      `StudyInstanceUID=${forRa7.studyInstanceUid}`,
      'SeriesInstanceUID',
      'Modality',
      'NumberOfSeriesRelatedInstances',
    ]);
    expect(
      series.matches.map((match) => [match.SeriesInstanceUID, match.NumberOfSeriesRelatedInstances]).sort(),
    ).toEqual(forRa7.series.map((s) => [s.seriesInstanceUid, String(s.instances.length)]).sort());
    const ct = forRa7.series.find((s) => s.kind === 'ct')!;
    const images = await find('IMAGE', [
      `StudyInstanceUID=${forRa7.studyInstanceUid}`,
      `SeriesInstanceUID=${ct.seriesInstanceUid}`,
      'SOPInstanceUID',
      'SOPClassUID',
    ]);
    expect(images.matches.map((match) => match.SOPInstanceUID).sort()).toEqual(
      ct.instances.map((instance) => instance.sopInstanceUid).sort(),
    );
  });

  it('moves a study to the caller’s own node, morphed, with correct sub-operation counts, and records it', async () => {
    const outputDir = mkdtempSync(path.join(work, 'moved-'));
    const result = await movescu(
      HOST,
      hub.port,
      'RA7_PACS',
      'IEP_HUB',
      'RA7_PACS',
      'STUDY',
      [`StudyInstanceUID=${forRa7.studyInstanceUid}`],
      { receivePort: pullPort, outputDir },
    );
    expect(result.finalStatus).toBe(0);
    expect(result.completed).toBe(5);
    expect(result.failed).toBe(0);
    // One pending response per sub-operation, then the final one.
    expect(result.pending).toBe(5);
    const files = readdirSync(outputDir);
    expect(files).toHaveLength(5);
    for (const name of files) {
      const dump = execFileSync('dcmdump', [path.join(outputDir, name)]).toString();
      expect(dump).toMatch(/\(0008,0050\) SH \[RVJ-ACC100 ?\]/);
      expect(dump).toMatch(/\(0010,0020\) LO \[PUL0001 ?\]/);
    }
    // Every other byte is the sender's: the received data set is the original with RA7's coercion applied.
    const byUid = new Map(forRa7.series.flatMap((s) => s.instances).map((i) => [i.sopInstanceUid, i]));
    for (const name of files) {
      const received = splitPart10(readFileSync(path.join(outputDir, name))).dataset;
      const uid = /\(0008,0018\) UI \[([0-9.]+)/.exec(
        execFileSync('dcmdump', [path.join(outputDir, name)]).toString(),
      )![1];
      const original = byUid.get(uid)!;
      const expected = applyCoercion(
        splitPart10(readFileSync(original.path)).dataset,
        original.transferSyntaxUid,
        RA7_COERCION,
        { sender: { code: 'RVJ', patientIdIssuer: 'RVJ' }, recipient: { code: 'RA7' } },
      );
      expect(received.equals(expected.dataset)).toBe(true);
    }
    const [transfer] = (await hub.dataSource.query(
      `SELECT t.id, t.state FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid = ?`,
      [forRa7.studyInstanceUid],
    )) as Array<{ id: string; state: string }>;
    expect(transfer.state).toBe('delivered');
    const delivered = (await hub.dataSource.query(
      `SELECT COUNT(*) AS n FROM transfer_instances WHERE transfer_id = ? AND state = 'delivered'`,
      [transfer.id],
    )) as Array<{ n: string }>;
    expect(Number(delivered[0].n)).toBe(5);
    const audited = (await hub.dataSource.query(
      `SELECT outcome, actor_ae_title AS actor, JSON_EXTRACT(detail, '$.completed') AS completed
         FROM audit_events WHERE event = 'instances-retrieved' AND JSON_EXTRACT(detail, '$.transferId') = ?`,
      [transfer.id],
    )) as Array<{ outcome: number; actor: string; completed: number }>;
    expect(audited).toEqual([{ outcome: 0, actor: 'RA7_PACS', completed: 5 }]);
    const alerts = (await hub.dataSource.query(
      `SELECT action, JSON_UNQUOTE(JSON_EXTRACT(detail, '$.how')) AS how FROM audit_events
        WHERE event = 'restricted-study-accessed' AND study_instance_uid = ? AND actor_ae_title = 'RA7_PACS'`,
      [forRa7.studyInstanceUid],
    )) as Array<{ action: string; how: string }>;
    expect(alerts).toContainEqual({ action: 'SecurityAlert', how: 'queried' });
    expect(alerts).toContainEqual({ action: 'SecurityAlert', how: 'retrieved' });
  });

  it("refuses a move to another trust's AE (0xA801), sends nothing, and raises a Security Alert", async () => {
    const result = await movescu(HOST, hub.port, 'RA7_PACS', 'IEP_HUB', 'RVJ_PACS', 'STUDY', [
      `StudyInstanceUID=${forRa7.studyInstanceUid}`,
    ]);
    expect(result.finalStatus).toBe(0xa801);
    expect(result.completed ?? 0).toBe(0);
    const alerts = (await hub.dataSource.query(
      `SELECT action, actor_ae_title AS actor, JSON_UNQUOTE(JSON_EXTRACT(detail, '$.destination')) AS destination
         FROM audit_events WHERE event = 'retrieve-refused'`,
    )) as Array<{ action: string; actor: string; destination: string }>;
    expect(alerts).toContainEqual({ action: 'SecurityAlert', actor: 'RA7_PACS', destination: 'RVJ_PACS' });
  });

  it("cannot move another trust's study even to its own node: nothing matches", async () => {
    const outputDir = mkdtempSync(path.join(work, 'moved-'));
    const result = await movescu(
      HOST,
      hub.port,
      'RA7_PACS',
      'IEP_HUB',
      'RA7_PACS',
      'STUDY',
      [`StudyInstanceUID=${forRvj.studyInstanceUid}`],
      { receivePort: pullPort, outputDir },
    );
    expect(result.finalStatus).toBe(0);
    expect(result.completed ?? 0).toBe(0);
    expect(readdirSync(outputDir)).toHaveLength(0);
  });
});

describe('a restricted patient whose rule withholds DICOM pull (findscu, movescu)', () => {
  it('is neither listed by C-FIND nor moved, and each attempt is a Security Alert', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-withheld-'));
    const pullPort = await freePort();
    const hub = await startTestHub({
      apps: ['receiver', 'router'],
      stableStudySeconds: 1,
      configure: (raw) => {
        const ra7 = raw.trusts.find((trust) => trust.code === 'RA7')!;
        Object.assign(ra7.nodes[0], { receive: 'pull', port: pullPort });
        Object.assign(raw, {
          restrictedPatientIds: ['PUL0010', { patientId: 'PUL0011', dicomPull: 'withhold' }],
        });
      },
    });
    try {
      const allowed = await makeStudy(path.join(work, 'allowed'), {
        patientId: 'PUL0010',
        patientName: 'PULL^ALLOWED',
        series: [{ kind: 'mr-small', count: 2 }],
      });
      const withheld = await makeStudy(path.join(work, 'withheld'), {
        patientId: 'PUL0011',
        patientName: 'PULL^WITHHELD',
        series: [{ kind: 'mr-small', count: 2 }],
      });
      for (const study of [allowed, withheld]) {
        expect((await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files)).code).toBe(0);
      }
      await waitFor('both studies filed', async () => {
        const rows = (await hub.dataSource.query(
          `SELECT t.state FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid IN (?, ?)`,
          [allowed.studyInstanceUid, withheld.studyInstanceUid],
        )) as Array<{ state: string }>;
        return rows.length === 2 && rows.every((row) => row.state === 'awaiting-pull') ? rows : undefined;
      });

      const found = await findscu(
        HOST,
        hub.port,
        'RA7_PACS',
        'IEP_HUB',
        'STUDY',
        ['PatientID=PUL001*', 'StudyInstanceUID'],
        mkdtempSync(path.join(work, 'find-')),
      );
      expect(found.finalStatus).toBe(0);
      expect(found.matches.map((match) => match.PatientID)).toEqual(['PUL0010']);

      const outputDir = mkdtempSync(path.join(work, 'moved-'));
      const moved = await movescu(
        HOST,
        hub.port,
        'RA7_PACS',
        'IEP_HUB',
        'RA7_PACS',
        'STUDY',
        [`StudyInstanceUID=${withheld.studyInstanceUid}`],
        { receivePort: pullPort, outputDir },
      );
      expect(moved.completed ?? 0).toBe(0);
      expect(readdirSync(outputDir)).toHaveLength(0);

      const alerts = (await hub.dataSource.query(
        `SELECT patient_id AS patientId, JSON_UNQUOTE(JSON_EXTRACT(detail, '$.how')) AS how FROM audit_events
          WHERE event = 'restricted-study-accessed' AND actor_ae_title = 'RA7_PACS'
            AND patient_id IN ('PUL0010', 'PUL0011') ORDER BY id`,
      )) as Array<{ patientId: string; how: string }>;
      expect(alerts).toEqual([
        { patientId: 'PUL0011', how: 'refused' },
        { patientId: 'PUL0010', how: 'queried' },
        { patientId: 'PUL0011', how: 'refused' },
      ]);
    } finally {
      await hub.destroy();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
