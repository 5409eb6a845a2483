import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { stringify } from 'yaml';
import { StorescpHandle, startStorescp, storescu } from './support/dcmtk';
import { DcmqrscpHandle, startDcmqrscp } from './support/dcmqrscp';
import { GeneratedStudy, makeStudy } from './support/dicom-factory';
import { hubCli } from './support/hub-cli';
import { TestHub, ra7PushNodeAt, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';

interface FetchRow {
  id: string;
  state: string;
  expectedInstances: number | null;
  completedInstances: number;
  failedInstances: number;
  lastError: string | null;
  studyInstanceUid: string | null;
}

/**
 * "Source it": RVJ's archive is dcmqrscp (RVJ_QR, query/retrieve only). A request for RA7 makes the hub
 * C-FIND and C-MOVE the study from it to the hub AE; it is then routed and pushed to RA7's PACS (storescp).
 */
describe('fetch from a source PACS (dcmqrscp) for another trust', () => {
  let work: string;
  let hub: TestHub;
  let source: DcmqrscpHandle;
  let recipient: StorescpHandle;
  let held: GeneratedStudy;
  let heldByAccession: GeneratedStudy;
  let configFile: string;
  let auth: { Authorization: string };

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-fetch-'));
    const received = mkdtempSync(path.join(work, 'ra7-'));
    recipient = await startStorescp({ aeTitle: 'RA7_PACS', outputDir: received });
    // The hub's port is known only once it starts; dcmqrscp needs it for the move destination, so the
    // source's port is chosen first and dcmqrscp started after the hub.
    const sourceDir = mkdtempSync(path.join(work, 'source-'));
    let sourcePort = 0;
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder', 'portal'],
      stableStudySeconds: 1,
      configure: (raw) => {
        ra7PushNodeAt(recipient.port)(raw);
        raw.trusts
          .find((trust) => trust.code === 'RVJ')!
          .nodes.push({
            aeTitle: 'RVJ_QR',
            host: HOST,
            port: 1, // replaced below, once dcmqrscp listens
            allowedIps: [HOST],
            send: false,
            receive: 'none',
            queryRetrieve: true,
          });
      },
    });
    source = await startDcmqrscp({
      dir: sourceDir,
      aeTitle: 'RVJ_QR',
      moveDestinations: [{ aeTitle: 'IEP_HUB', host: HOST, port: hub.port }],
    });
    sourcePort = source.port;
    await hub.dataSource.query(`UPDATE nodes SET port = ? WHERE ae_title = 'RVJ_QR'`, [sourcePort]);
    hub.rawConfig.trusts.find((trust) => trust.code === 'RVJ')!.nodes.find((node) => node.aeTitle === 'RVJ_QR')!.port =
      sourcePort;
    auth = await hub.userSession('fetch-ops', 'operator');
    configFile = path.join(work, 'hub.yaml');
    writeFileSync(configFile, stringify(hub.rawConfig));

    held = await makeStudy(path.join(work, 'held'), {
      patientId: 'FET0001',
      patientName: 'FETCH^ANNA',
      accessionNumber: 'FACC1',
      series: [
        { kind: 'mr-small', count: 4 },
        { kind: 'sr', count: 1 },
      ],
    });
    heldByAccession = await makeStudy(path.join(work, 'held2'), {
      patientId: 'FET0002',
      patientName: 'FETCH^BEN',
      accessionNumber: 'FACC2',
      series: [{ kind: 'mr-small', count: 3 }],
    });
    const loaded = await storescu(HOST, source.port, 'LOADER', 'RVJ_QR', [...held.files, ...heldByAccession.files]);
    expect(loaded.stores.map((store) => store.status)).toEqual(Array(8).fill(0));
  });

  afterAll(async () => {
    await hub?.destroy();
    await source?.stop();
    await recipient?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const fetchRow = async (id: string) =>
    (
      (await hub.dataSource.query(
        `SELECT id, state, expected_instances AS expectedInstances, completed_instances AS completedInstances,
              failed_instances AS failedInstances, last_error AS lastError, study_instance_uid AS studyInstanceUid
         FROM fetch_requests WHERE id = ?`,
        [id],
      )) as FetchRow[]
    )[0];

  const finished = (id: string) =>
    waitFor(`fetch ${id} finished`, async () => {
      const row = await fetchRow(id);
      return row && ['completed', 'partially-completed', 'failed'].includes(row.state) ? row : undefined;
    });

  it('fetches a study by UID through the API, then routes and delivers it like a sent study', async () => {
    const response = await request(hub.http!)
      .post('/api/fetches')
      .set(auth)
      .send({ from: 'RVJ', to: 'RA7', folder: 'emergency', studyInstanceUid: held.studyInstanceUid })
      .expect(201);
    expect(response.body).toMatchObject({ from: 'RVJ', to: 'RA7', state: 'queued', sourceAeTitle: 'RVJ_QR' });

    const done = await finished(response.body.id as string);
    expect(done).toMatchObject({ state: 'completed', expectedInstances: 5, completedInstances: 5, failedInstances: 0 });

    const transfer = await waitFor('the fetched study delivered to RA7', async () => {
      const [row] = (await hub.dataSource.query(
        `SELECT t.state, s.called_ae_title AS calledAeTitle, n.ae_title AS sender FROM transfers t
           JOIN studies s ON s.id = t.study_id JOIN nodes n ON n.id = s.sender_node_id
          WHERE s.study_instance_uid = ?`,
        [held.studyInstanceUid],
      )) as Array<{ state: string; calledAeTitle: string; sender: string }>;
      return row?.state === 'delivered' ? row : undefined;
    });
    expect(transfer).toEqual({ state: 'delivered', calledAeTitle: 'IEP_HUB', sender: 'RVJ_QR' });
    expect(readdirSync(recipient.outputDir)).toHaveLength(5);

    const progress = await request(hub.http!).get(`/api/fetches/${done.id}`).set(auth).expect(200);
    expect(progress.body).toMatchObject({ state: 'completed', completedInstances: 5, expectedInstances: 5 });
    const events = (await hub.dataSource.query(
      `SELECT event, outcome, actor_user AS user, actor_ae_title AS ae FROM audit_events
        WHERE study_instance_uid = ? AND event IN ('fetch-requested', 'instances-stored', 'fetch-finished', 'study-routed')
        ORDER BY id`,
      [held.studyInstanceUid],
    )) as Array<{ event: string; outcome: number; user: string | null; ae: string | null }>;
    // An emergency fetch is routed on its first instance, so study-routed may come before the rest.
    const names = events.map((event) => event.event);
    expect([...new Set(names)].sort()).toEqual([
      'fetch-finished',
      'fetch-requested',
      'instances-stored',
      'study-routed',
    ]);
    expect(names.indexOf('instances-stored')).toBeLessThan(names.indexOf('fetch-finished'));
    expect(events[0]).toMatchObject({ event: 'fetch-requested', outcome: 0, user: 'fetch-ops' });
    expect(events.find((event) => event.event === 'instances-stored')).toMatchObject({ outcome: 0, ae: 'RVJ_QR' });

    // Asked for by UID alone, the request named no patient; the source's answer does, and the report of who
    // accessed that patient's images names the user who asked, with the fetch's own events.
    expect(progress.body).toMatchObject({ patientId: 'FET0001' });
    const governance = await hub.userSession('fetch-gov-report', 'governance');
    const report = (await request(hub.http!).get('/api/audit/patients/FET0001/access').set(governance).expect(200))
      .body as { accessors: Array<{ actor: string; kind: string; events: string[] }> };
    const asker = report.accessors.find((accessor) => accessor.actor === 'fetch-ops');
    expect(asker).toMatchObject({ kind: 'user' });
    expect(asker!.events).toContain('fetch-identified');
    const finishedEvent = (await hub.dataSource.query(
      `SELECT patient_id AS patientId FROM audit_events WHERE event = 'fetch-finished' AND study_instance_uid = ?`,
      [held.studyInstanceUid],
    )) as Array<{ patientId: string }>;
    expect(finishedEvent.map((row) => row.patientId)).toContain('FET0001');
  });

  it('fetches by accession number and patient ID from the CLI, and lists its progress', async () => {
    const asked = hubCli(hub, configFile, [
      'fetch',
      'request',
      '--from',
      'RVJ',
      '--to',
      'RA7',
      '--folder',
      'elective',
      '--accession',
      'FACC2',
      '--patient-id',
      'FET0002',
      '--json',
    ]);
    expect(asked.stderr).toBe('');
    expect(asked.code).toBe(0);
    const [created] = JSON.parse(asked.stdout) as Array<{ id: string }>;
    const done = await finished(created.id);
    expect(done).toMatchObject({
      state: 'completed',
      studyInstanceUid: heldByAccession.studyInstanceUid,
      completedInstances: 3,
    });
    const listed = hubCli(hub, configFile, ['fetch', 'list', '--to', 'RA7']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${created.id}.*completed.*3/3`));
  });

  it('refuses a request the agreement does not allow with a 400, and audits the refusal', async () => {
    await hub.dataSource.query('UPDATE agreements SET suspended = 1');
    try {
      const refused = await request(hub.http!)
        .post('/api/fetches')
        .set(auth)
        .send({ from: 'RVJ', to: 'RA7', folder: 'elective', studyInstanceUid: held.studyInstanceUid })
        .expect(400);
      expect(refused.body).toMatchObject({ field: 'to', message: 'to: sharing agreement suspended' });
    } finally {
      await hub.dataSource.query('UPDATE agreements SET suspended = 0');
    }
    const [audited] = (await hub.dataSource.query(
      `SELECT outcome, JSON_UNQUOTE(JSON_EXTRACT(detail, '$.refused')) AS refused FROM audit_events
        WHERE event = 'fetch-requested' ORDER BY id DESC LIMIT 1`,
    )) as Array<{ outcome: number; refused: string }>;
    expect(audited).toEqual({ outcome: 4, refused: 'sharing agreement suspended' });
  });

  it('refuses a request naming a bad field with a 400 naming the field', async () => {
    const refused = await request(hub.http!)
      .post('/api/fetches')
      .set(auth)
      .send({ from: 'RA7', to: 'RVJ', folder: 'emergency', studyInstanceUid: held.studyInstanceUid })
      .expect(400);
    // RA7 has no node the hub may query: the source is the field at fault.
    expect(refused.body).toMatchObject({ field: 'from' });
    const bad = await request(hub.http!)
      .post('/api/fetches')
      .set(auth)
      .send({ from: 'RVJ', to: 'RA7', folder: 'emergency', studyInstanceUid: '1.2.abc' })
      .expect(400);
    expect(bad.body).toMatchObject({ field: 'studyInstanceUid' });
    const missing = await request(hub.http!)
      .post('/api/fetches')
      .set(auth)
      .send({ from: 'RVJ', to: 'RA7', folder: 'emergency', accessionNumber: 'FACC1' })
      .expect(400);
    expect(missing.body.message).toContain('patientId');
    await request(hub.http!).post('/api/fetches').send({ from: 'RVJ' }).expect(401);
  });

  it('lets a clinician ask and see fetches for its own trust only; governance may only read', async () => {
    const clinician = await hub.userSession('fetch-clin-ra7', 'clinician', 'RA7');
    const governance = await hub.userSession('fetch-gov', 'governance');
    const body = { from: 'RVJ', folder: 'emergency', accessionNumber: 'FACC1', patientId: 'FET0001' };
    const own = await request(hub.http!).post('/api/fetches').set(clinician).send(body).expect(201);
    expect(own.body).toMatchObject({ to: 'RA7', requestedBy: 'fetch-clin-ra7' });
    await request(hub.http!)
      .post('/api/fetches')
      .set(clinician)
      .send({ ...body, from: 'RA7', to: 'RVJ' })
      .expect(403);
    await request(hub.http!)
      .post('/api/fetches')
      .set(governance)
      .send({ ...body, to: 'RA7' })
      .expect(403);
    const listed = await request(hub.http!).get('/api/fetches').set(clinician).expect(200);
    expect((listed.body as Array<{ to: string }>).every((fetch) => fetch.to === 'RA7')).toBe(true);
    await request(hub.http!).get('/api/fetches?to=RVJ').set(clinician).expect(403);
    await request(hub.http!).get(`/api/fetches/${own.body.id}`).set(governance).expect(200);
    await finished(own.body.id as string);
  });

  it('fails a request for a study the source does not hold, saying so', async () => {
    const response = await request(hub.http!)
      .post('/api/fetches')
      .set(auth)
      .send({ from: 'RVJ', to: 'RA7', folder: 'emergency', accessionNumber: 'NOPE', patientId: 'FET0001' })
      .expect(201);
    const done = await finished(response.body.id as string);
    expect(done).toMatchObject({ state: 'failed', lastError: 'the source holds no such study' });
  });

  it('refuses stores to the hub AE from the source when no fetch of that study is pending (0x0124)', async () => {
    const sent = await storescu(HOST, hub.port, 'RVJ_QR', 'IEP_HUB', [held.files[0]]);
    expect(sent.stores.map((store) => store.status)).toEqual([0x0124]);
  });
});
