import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Server, Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { StorescpHandle, freePort, startStorescp, storescu } from './support/dcmtk';
import { DcmqrscpHandle, startDcmqrscp } from './support/dcmqrscp';
import { GeneratedStudy, makeStudy } from './support/dicom-factory';
import { OrthancHandle, startOrthanc } from './support/orthanc';
import { TestHub, addTrustRba, ra7PushNodeAt, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';
const NHS_NUMBER = '9434765919';

interface TrustAnswer {
  trust: string;
  outcome: string;
  elapsedMs: number;
  key?: string;
  studies: Array<{
    studyInstanceUid: string;
    heldAtHub: boolean;
    sourceIt: { from: string; studyInstanceUid: string };
  }>;
}
interface Answer {
  patient: { patientId: string };
  trust: string;
  atHub: Array<{ studyInstanceUid: string; from: string; viewable: boolean }>;
  trusts: TrustAnswer[];
}

/** A TCP listener that accepts connections and never says a word: a query/retrieve node that hangs. */
async function silentListener(): Promise<{
  server: Server;
  port: number;
  connections: () => number;
  stop(): Promise<void>;
}> {
  const sockets: Socket[] = [];
  let count = 0;
  const server = createServer((socket) => {
    count++;
    sockets.push(socket);
    socket.on('error', () => undefined);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, HOST, resolve));
  return {
    server,
    port,
    connections: () => count,
    stop: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}

const qrNode = (aeTitle: string, port: number) => ({
  aeTitle,
  host: HOST,
  port,
  allowedIps: [HOST],
  send: false,
  receive: 'none',
  queryRetrieve: true,
});

/**
 * Find it for RA7: RVJ's archive is dcmqrscp and RBA's is Orthanc, RDZ's node accepts and never answers, and
 * RCX (no agreement with RA7) has a node that must never be asked. RVJ has also sent one study to RA7.
 */
describe('Find it: where has this patient been imaged?', () => {
  let work: string;
  let hub: TestHub;
  let rvjArchive: DcmqrscpHandle;
  let rbaArchive: OrthancHandle;
  let silent: Awaited<ReturnType<typeof silentListener>>;
  let unasked: Awaited<ReturnType<typeof silentListener>>;
  let recipient: StorescpHandle;
  let atRvj: GeneratedStudy;
  let atRba: GeneratedStudy;
  let clinician: { Authorization: string };

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-findit-'));
    silent = await silentListener();
    unasked = await silentListener();
    recipient = await startStorescp({ aeTitle: 'RA7_PACS', outputDir: mkdtempSync(path.join(work, 'ra7-')) });
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder', 'portal'],
      stableStudySeconds: 1,
      configure: (raw) => {
        ra7PushNodeAt(recipient.port)(raw);
        Object.assign(raw, { findIt: { timeoutSeconds: 2 } });
        raw.trusts.find((trust) => trust.code === 'RVJ')!.nodes.push(qrNode('RVJ_QR', 1));
        addTrustRba(raw);
        raw.trusts.find((trust) => trust.code === 'RBA')!.nodes.push(qrNode('RBA_QR', 1));
        for (const [code, port] of [
          ['RDZ', silent.port],
          ['RCX', unasked.port],
        ] as const) {
          raw.trusts.push({
            code,
            name: `Trust ${code}`,
            patientIdIssuer: code,
            nodes: [qrNode(`${code}_QR`, port)],
          });
        }
        raw.agreements.push(
          { from: 'RBA', to: 'RA7', folders: ['emergency'] },
          { from: 'RDZ', to: 'RA7', folders: ['emergency'] },
          { from: 'RCX', to: 'RVJ', folders: ['emergency'] },
        );
      },
    });
    rvjArchive = await startDcmqrscp({
      dir: mkdtempSync(path.join(work, 'rvj-')),
      aeTitle: 'RVJ_QR',
      moveDestinations: [{ aeTitle: 'IEP_HUB', host: HOST, port: hub.port }],
    });
    rbaArchive = await startOrthanc({
      dir: mkdtempSync(path.join(work, 'rba-')),
      aeTitle: 'RBA_QR',
      modalities: { hub: ['IEP_HUB', HOST, hub.port] },
    });
    await hub.dataSource.query(`UPDATE nodes SET port = ? WHERE ae_title = 'RVJ_QR'`, [rvjArchive.port]);
    await hub.dataSource.query(`UPDATE nodes SET port = ? WHERE ae_title = 'RBA_QR'`, [rbaArchive.dicomPort]);

    atRvj = await makeStudy(path.join(work, 'at-rvj'), {
      patientId: NHS_NUMBER,
      patientName: 'FIND^ALICE',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    atRba = await makeStudy(path.join(work, 'at-rba'), {
      patientId: NHS_NUMBER,
      patientName: 'FIND^ALICE',
      series: [{ kind: 'mr-small', count: 3 }],
    });
    const otherPatient = await makeStudy(path.join(work, 'other'), {
      patientId: '4010232137',
      patientName: 'FIND^BOB',
      series: [{ kind: 'mr-small', count: 1 }],
    });
    expect((await storescu(HOST, rvjArchive.port, 'LOADER', 'RVJ_QR', atRvj.files)).code).toBe(0);
    expect(
      (await storescu(HOST, rbaArchive.dicomPort, 'LOADER', 'RBA_QR', [...atRba.files, ...otherPatient.files])).code,
    ).toBe(0);
    // RVJ has already sent its study to RA7 through the hub.
    expect((await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', atRvj.files)).code).toBe(0);
    await waitFor('the study RVJ sent filed for RA7', async () => {
      const rows = (await hub.dataSource.query(
        `SELECT t.state FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid = ?`,
        [atRvj.studyInstanceUid],
      )) as Array<{ state: string }>;
      return rows.length === 1 ? rows : undefined;
    });
    clinician = await hub.userSession('find-clinician', 'clinician', 'RA7');
  }, 120_000);

  afterAll(async () => {
    await hub?.destroy();
    await rvjArchive?.stop();
    await rbaArchive?.stop();
    await silent?.stop();
    await unasked?.stop();
    await recipient?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('asks every sharing trust at once: two answer, the silent one times out without holding them up', async () => {
    const started = Date.now();
    const response = await request(hub.http!)
      .post('/api/find-it')
      .set(clinician)
      .send({ nhsNumber: NHS_NUMBER })
      .expect(200);
    const elapsed = Date.now() - started;
    const answer = response.body as Answer;
    expect(answer.trust).toBe('RA7');
    expect(answer.patient.patientId).toBe(NHS_NUMBER);
    const byTrust = new Map(answer.trusts.map((trust) => [trust.trust, trust]));
    // RCX has no agreement with RA7: not asked, and its node never saw a connection.
    expect([...byTrust.keys()].sort()).toEqual(['RBA', 'RDZ', 'RVJ']);
    expect(unasked.connections()).toBe(0);
    expect(byTrust.get('RVJ')).toMatchObject({ outcome: 'answered', key: 'PatientID' });
    expect(byTrust.get('RVJ')!.studies.map((study) => [study.studyInstanceUid, study.heldAtHub])).toEqual([
      [atRvj.studyInstanceUid, true],
    ]);
    expect(byTrust.get('RBA')).toMatchObject({ outcome: 'answered' });
    expect(byTrust.get('RBA')!.studies.map((study) => study.studyInstanceUid)).toEqual([atRba.studyInstanceUid]);
    expect(byTrust.get('RBA')!.studies[0].sourceIt).toEqual({ from: 'RBA', studyInstanceUid: atRba.studyInstanceUid });
    expect(byTrust.get('RDZ')!.outcome).toBe('timed-out');
    expect(silent.connections()).toBeGreaterThan(0);
    // The answering trusts were not held up by the silent one, and the whole search took about the time limit.
    expect(byTrust.get('RVJ')!.elapsedMs).toBeLessThan(2000);
    expect(byTrust.get('RBA')!.elapsedMs).toBeLessThan(2000);
    expect(byTrust.get('RDZ')!.elapsedMs).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(6000);
    // The hub has seen RVJ's study, and RA7 holds it: the viewer can open it.
    expect(answer.atHub).toEqual([
      expect.objectContaining({ studyInstanceUid: atRvj.studyInstanceUid, from: 'RVJ', viewable: true }),
    ]);

    const [event] = (await hub.dataSource.query(
      `SELECT action, actor_user AS user, patient_id AS patientId, detail FROM audit_events
        WHERE event = 'find-it-searched' ORDER BY id DESC LIMIT 1`,
    )) as Array<{
      action: string;
      user: string;
      patientId: string;
      detail: { trustsAsked: Array<{ trust: string; outcome: string }> };
    }>;
    expect(event).toMatchObject({ action: 'Query', user: 'find-clinician', patientId: NHS_NUMBER });
    expect(event.detail.trustsAsked.map((trust) => `${trust.trust}:${trust.outcome}`).sort()).toEqual([
      'RBA:answered',
      'RDZ:timed-out',
      'RVJ:answered',
    ]);
  });

  it('refuses an invalid NHS number, another trust for a trust-bound user, and governance', async () => {
    await request(hub.http!).post('/api/find-it').set(clinician).send({ nhsNumber: '1234567890' }).expect(400);
    await request(hub.http!)
      .post('/api/find-it')
      .set(clinician)
      .send({ nhsNumber: NHS_NUMBER, trust: 'RVJ' })
      .expect(403);
    const governance = await hub.userSession('find-governance', 'governance');
    await request(hub.http!).post('/api/find-it').set(governance).send({ nhsNumber: NHS_NUMBER }).expect(403);
    await request(hub.http!).post('/api/find-it').send({ nhsNumber: NHS_NUMBER }).expect(401);
  });

  it('"Source it" from RBA ends with the study delivered to RA7', async () => {
    const fetch = await request(hub.http!)
      .post('/api/fetches')
      .set(clinician)
      .send({ from: 'RBA', folder: 'emergency', studyInstanceUid: atRba.studyInstanceUid })
      .expect(201);
    expect(fetch.body).toMatchObject({ from: 'RBA', to: 'RA7' });
    await waitFor(
      'the sourced study delivered to RA7',
      async () => {
        const [row] = (await hub.dataSource.query(
          `SELECT t.state FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid = ?`,
          [atRba.studyInstanceUid],
        )) as Array<{ state: string }>;
        return row?.state === 'delivered' ? row : undefined;
      },
      40_000,
    );
    const received = readdirSync(recipient.outputDir);
    expect(received.length).toBeGreaterThanOrEqual(3);
  });
});
