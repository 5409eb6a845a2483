import { splitPart10 } from '@hub/dicom';
import { CoercionRule, applyCoercion } from '@hub/coercion';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { storescu } from './support/dcmtk';
import { GeneratedStudy, TransferSyntaxUid, makeStudy } from './support/dicom-factory';
import { TestHub, startTestHub } from './support/test-hub';
import { startOrthanc } from './support/orthanc';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';
const RA7_COERCION: CoercionRule[] = [
  { op: 'prefix', tag: 'AccessionNumber', value: '{sender.code}-' },
  { op: 'set', tag: 'IssuerOfPatientID', value: '{sender.patientIdIssuer}' },
];
const CONTEXT = { sender: { code: 'RVJ', patientIdIssuer: 'RVJ' }, recipient: { code: 'RA7' } };

type Auth = { Authorization: string };
type Json = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;

/** The parts of a multipart/related body: each part's headers and bytes. */
function parseMultipart(body: Buffer, contentType: string): Array<{ headers: Record<string, string>; data: Buffer }> {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)![1];
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Array<{ headers: Record<string, string>; data: Buffer }> = [];
  let position = body.indexOf(delimiter);
  for (;;) {
    const start = position + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') {
      return parts;
    }
    const headerEnd = body.indexOf('\r\n\r\n', start);
    const headers = Object.fromEntries(
      body
        .subarray(start + 2, headerEnd)
        .toString('latin1')
        .split('\r\n')
        .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const next = body.indexOf(delimiter, headerEnd + 4);
    parts.push({ headers, data: body.subarray(headerEnd + 4, next - 2) });
    position = next;
  }
}

const binary = (res: request.Response, callback: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
};

const value = (json: Json, tag: string) => json[tag]?.Value?.[0];

describe('DICOMweb at /dicomweb and secure viewer links', () => {
  let work: string;
  let hub: TestHub;
  let forRa7: GeneratedStudy;
  let forRvj: GeneratedStudy;
  let restricted: GeneratedStudy;
  let ra7StudyId: string;
  const as = {} as Record<'operator' | 'clinicianRA7' | 'adminRA7' | 'clinicianRVJ' | 'governance', Auth>;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-dicomweb-'));
    hub = await startTestHub({
      apps: ['receiver', 'router', 'portal'],
      stableStudySeconds: 1,
      configure: (raw) => {
        const ra7 = raw.trusts.find((trust) => trust.code === 'RA7')!;
        Object.assign(ra7.nodes[0], { receive: 'pull' });
        ra7.coercion = RA7_COERCION;
        raw.agreements.push({ from: 'RA7', to: 'RVJ', folders: ['emergency'] });
        Object.assign(raw, { restrictedPatientIds: ['WEB0003'] });
      },
    });
    forRa7 = await makeStudy(path.join(work, 'ra7'), {
      patientId: 'WEB0001',
      patientName: 'WEB^ALICE',
      accessionNumber: 'ACC700',
      series: [
        { kind: 'ct', count: 2 },
        { kind: 'mr-small', count: 2, transferSyntax: 'jpeg-ls' },
      ],
    });
    forRvj = await makeStudy(path.join(work, 'rvj'), {
      patientId: 'WEB0002',
      patientName: 'WEB^BOB',
      series: [{ kind: 'mr-small', count: 1 }],
    });
    restricted = await makeStudy(path.join(work, 'restricted'), {
      patientId: 'WEB0003',
      patientName: 'WEB^CAROL',
      series: [{ kind: 'mr-small', count: 1 }],
    });
    expect((await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', forRa7.files, ['-xt'])).code).toBe(0);
    expect((await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', restricted.files)).code).toBe(0);
    expect((await storescu(HOST, hub.port, 'RA7_PACS', 'RVJ_EMER', forRvj.files)).code).toBe(0);
    await waitFor('the three studies filed', async () => {
      const rows = (await hub.dataSource.query(
        `SELECT s.id, s.study_instance_uid AS uid FROM transfers t JOIN studies s ON s.id = t.study_id
          WHERE s.study_instance_uid IN (?, ?, ?)`,
        [forRa7.studyInstanceUid, forRvj.studyInstanceUid, restricted.studyInstanceUid],
      )) as Array<{ id: string; uid: string }>;
      if (rows.length === 3) {
        ra7StudyId = rows.find((row) => row.uid === forRa7.studyInstanceUid)!.id;
        return rows;
      }
      return undefined;
    });
    as.operator = await hub.userSession('web-operator', 'operator');
    as.governance = await hub.userSession('web-governance', 'governance');
    as.clinicianRA7 = await hub.userSession('web-clinician-ra7', 'clinician', 'RA7');
    as.adminRA7 = await hub.userSession('web-admin-ra7', 'trust-admin', 'RA7');
    as.clinicianRVJ = await hub.userSession('web-clinician-rvj', 'clinician', 'RVJ');
  }, 120_000);

  afterAll(async () => {
    await hub?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  const qido = async (auth: Auth | undefined, url: string) => {
    const req = request(hub.http!).get(url);
    if (auth) {
      void req.set(auth);
    }
    return req;
  };
  const studyUids = (body: Json[]) => body.map((study) => value(study, '0020000D')).sort();

  it('answers 401 without a session, and QIDO-RS studies within each caller’s scope', async () => {
    await request(hub.http!).get('/dicomweb/studies').expect(401);
    const clinician = await qido(as.clinicianRA7, '/dicomweb/studies?PatientID=WEB*').then((r) => r);
    expect(clinician.status).toBe(200);
    expect(clinician.headers['content-type']).toMatch(/application\/dicom\+json/);
    // The clinician sees RA7's folder, not the restricted study, and RA7's coerced values.
    expect(studyUids(clinician.body as Json[])).toEqual([forRa7.studyInstanceUid]);
    const [study] = clinician.body as Json[];
    expect(value(study, '00080050')).toBe('RVJ-ACC700');
    expect(value(study, '00100021')).toBe('RVJ');
    expect(value(study, '00100010')).toEqual({ Alphabetic: 'WEB^ALICE' });
    expect(value(study, '00201208')).toBe(4);
    expect(value(study, '00081190')).toMatch(new RegExp(`/dicomweb/studies/${forRa7.studyInstanceUid}$`));
    // A trust-admin of RA7 sees the restricted study too; RVJ sees only its own folder.
    const admin = await qido(as.adminRA7, '/dicomweb/studies?PatientID=WEB*');
    expect(studyUids(admin.body as Json[])).toEqual([forRa7.studyInstanceUid, restricted.studyInstanceUid].sort());
    const rvj = await qido(as.clinicianRVJ, '/dicomweb/studies?PatientID=WEB*');
    expect(studyUids(rvj.body as Json[])).toEqual([forRvj.studyInstanceUid]);
    // Operators and governance see every folder, with the values as stored.
    const operator = await qido(as.operator, `/dicomweb/studies?StudyInstanceUID=${forRa7.studyInstanceUid}`);
    expect((operator.body as Json[]).map((s) => value(s, '00080050'))).toEqual(['ACC700']);
    const governance = await qido(as.governance, '/dicomweb/studies?PatientID=WEB*');
    expect((governance.body as Json[]).length).toBe(3);
  });

  it('matches names with wildcards, date ranges, accession numbers, modalities, and pages with limit/offset', async () => {
    const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    const uidsFor = async (query: string) => studyUids((await qido(as.adminRA7, `/dicomweb/studies?${query}`)).body);
    expect(await uidsFor('PatientName=web%5Eal*')).toEqual([forRa7.studyInstanceUid]);
    expect(await uidsFor(`StudyDate=19000101-${today}&PatientID=WEB0001`)).toEqual([forRa7.studyInstanceUid]);
    expect(await uidsFor('StudyDate=19000101-19000102&PatientID=WEB*')).toEqual([]);
    expect(await uidsFor('AccessionNumber=RVJ-ACC700')).toEqual([forRa7.studyInstanceUid]);
    expect(await uidsFor('AccessionNumber=ACC700')).toEqual([]);
    expect(await uidsFor('ModalitiesInStudy=CT&PatientID=WEB*')).toEqual([forRa7.studyInstanceUid]);
    expect(await uidsFor('00100020=WEB0003')).toEqual([restricted.studyInstanceUid]);
    const all = await uidsFor('PatientID=WEB*');
    const first = (await qido(as.adminRA7, '/dicomweb/studies?PatientID=WEB*&limit=1')).body as Json[];
    const second = (await qido(as.adminRA7, '/dicomweb/studies?PatientID=WEB*&limit=1&offset=1')).body as Json[];
    expect([...studyUids(first), ...studyUids(second)].sort()).toEqual(all);
    await request(hub.http!).get('/dicomweb/studies?limit=zero').set(as.adminRA7).expect(400);
    await request(hub.http!).get('/dicomweb/studies?NoSuchThing=1').set(as.adminRA7).expect(400);
    const included = (await qido(as.adminRA7, '/dicomweb/studies?PatientID=WEB0001&includefield=00081030'))
      .body as Json[];
    expect(included[0]['00081030']).toBeDefined();
  });

  it('lists a study’s series and instances', async () => {
    const series = (await qido(as.clinicianRA7, `/dicomweb/studies/${forRa7.studyInstanceUid}/series`)).body as Json[];
    expect(series.map((s) => value(s, '0020000E')).sort()).toEqual(
      forRa7.series.map((s) => s.seriesInstanceUid).sort(),
    );
    const mr = forRa7.series[1];
    const instances = (
      await qido(
        as.clinicianRA7,
        `/dicomweb/studies/${forRa7.studyInstanceUid}/series/${mr.seriesInstanceUid}/instances`,
      )
    ).body as Json[];
    expect(instances.map((i) => value(i, '00080018')).sort()).toEqual(mr.instances.map((i) => i.sopInstanceUid).sort());
    expect(instances.map((i) => value(i, '00083002'))).toEqual([
      TransferSyntaxUid['jpeg-ls'],
      TransferSyntaxUid['jpeg-ls'],
    ]);
    // Another trust's study is not there for RVJ.
    const none = await qido(as.clinicianRVJ, `/dicomweb/studies/${forRa7.studyInstanceUid}/series`);
    expect(none.body).toEqual([]);
  });

  it('retrieves a study as multipart/related application/dicom: the stored bytes with only RA7’s coercion', async () => {
    const response = await request(hub.http!)
      .get(`/dicomweb/studies/${forRa7.studyInstanceUid}`)
      .set(as.clinicianRA7)
      .set('Accept', 'multipart/related; type="application/dicom"; transfer-syntax=*')
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(response.headers['content-type']).toMatch(/^multipart\/related; type="application\/dicom"; boundary=/);
    const parts = parseMultipart(response.body as Buffer, response.headers['content-type']);
    expect(parts).toHaveLength(4);
    const stored = (await hub.dataSource.query(
      `SELECT i.sop_instance_uid AS uid, i.storage_path AS storagePath, i.transfer_syntax_uid AS ts
         FROM instances i JOIN studies s ON s.id = i.study_id WHERE s.id = ?`,
      [ra7StudyId],
    )) as Array<{ uid: string; storagePath: string; ts: string }>;
    const byPath = new Map(stored.map((row) => [path.join(hub.storageDir, row.storagePath), row]));
    expect(byPath.size).toBe(4);
    let compressed = 0;
    for (const part of parts) {
      const received = splitPart10(part.data);
      const match = [...byPath.entries()].find(([file]) => {
        const original = splitPart10(readFileSync(file));
        return original.meta.equals(received.meta);
      });
      expect(match).toBeDefined();
      const [file, row] = match!;
      const original = splitPart10(readFileSync(file));
      expect(received.transferSyntaxUid).toBe(row.ts);
      expect(part.headers['content-type']).toBe(`application/dicom; transfer-syntax=${row.ts}`);
      // Byte for byte the stored file, except the elements RA7's coercion rules change.
      expect(received.dataset.equals(applyCoercion(original.dataset, row.ts, RA7_COERCION, CONTEXT).dataset)).toBe(
        true,
      );
      expect(received.dataset.equals(original.dataset)).toBe(false);
      if (row.ts === TransferSyntaxUid['jpeg-ls']) {
        compressed++;
      }
    }
    expect(compressed).toBe(2);
  });

  it('serves metadata as DICOM JSON with coerced values and pixel data as bulk data URIs, and frames as stored', async () => {
    const mr = forRa7.series[1];
    const sop = mr.instances[0].sopInstanceUid;
    const base = `/dicomweb/studies/${forRa7.studyInstanceUid}/series/${mr.seriesInstanceUid}/instances/${sop}`;
    const metadata = (await request(hub.http!).get(`${base}/metadata`).set(as.clinicianRA7).expect(200)).body as Json[];
    expect(metadata).toHaveLength(1);
    expect(value(metadata[0], '00080050')).toBe('RVJ-ACC700');
    expect(value(metadata[0], '00100021')).toBe('RVJ');
    expect(value(metadata[0], '00080018')).toBe(sop);
    expect(metadata[0]['7FE00010'].BulkDataURI).toMatch(new RegExp(`${base}/bulkdata/7FE00010$`));
    const study = (
      await request(hub.http!)
        .get(`/dicomweb/studies/${forRa7.studyInstanceUid}/metadata`)
        .set(as.clinicianRA7)
        .expect(200)
    ).body as Json[];
    expect(study).toHaveLength(4);
    const frame = await request(hub.http!)
      .get(`${base}/frames/1`)
      .set(as.clinicianRA7)
      .buffer(true)
      .parse(binary)
      .expect(200);
    const [part] = parseMultipart(frame.body as Buffer, frame.headers['content-type']);
    expect(part.headers['content-type']).toBe(
      `application/octet-stream; transfer-syntax=${TransferSyntaxUid['jpeg-ls']}`,
    );
    // A JPEG-LS bitstream: SOI then SOF55.
    expect(part.data.subarray(0, 2).toString('hex')).toBe('ffd8');
    await request(hub.http!).get(`${base}/frames/2`).set(as.clinicianRA7).expect(404);
  });

  it('hides what a caller may not see behind 404s, and a restricted study from clinicians', async () => {
    await request(hub.http!).get(`/dicomweb/studies/${forRa7.studyInstanceUid}`).set(as.clinicianRVJ).expect(404);
    await request(hub.http!).get(`/dicomweb/studies/${restricted.studyInstanceUid}`).set(as.clinicianRA7).expect(404);
    await request(hub.http!)
      .get(`/dicomweb/studies/${restricted.studyInstanceUid}/metadata`)
      .set(as.clinicianRA7)
      .expect(404);
    await request(hub.http!)
      .get(`/dicomweb/studies/${restricted.studyInstanceUid}/metadata`)
      .set(as.adminRA7)
      .expect(200);
    await request(hub.http!).get('/dicomweb/studies/1.2.3.4').set(as.operator).expect(404);
    await request(hub.http!)
      .get(`/dicomweb/studies/${forRa7.studyInstanceUid}`)
      .set(as.operator)
      .set('Accept', 'application/json')
      .expect(406);
  });

  it('audits every search (Query) and retrieve (DICOM Instances Accessed) with the user and address', async () => {
    const rows = (await hub.dataSource.query(
      `SELECT event, action, actor_user AS user, actor_address AS address, patient_id AS patientId,
              JSON_UNQUOTE(JSON_EXTRACT(detail, '$.what')) AS what
         FROM audit_events WHERE event IN ('dicomweb-searched', 'dicomweb-retrieved') AND actor_user = 'web-clinician-ra7'`,
    )) as Array<{
      event: string;
      action: string;
      user: string;
      address: string;
      patientId: string | null;
      what: string;
    }>;
    expect(rows.filter((row) => row.event === 'dicomweb-searched').every((row) => row.action === 'Query')).toBe(true);
    const retrieved = rows.filter((row) => row.event === 'dicomweb-retrieved');
    expect(retrieved.every((row) => row.action === 'DicomInstancesAccessed' && row.patientId === 'WEB0001')).toBe(true);
    expect(new Set(retrieved.map((row) => row.what))).toEqual(new Set(['instances', 'metadata', 'frames']));
    expect(rows.every((row) => /127\.0\.0\.1/.test(row.address))).toBe(true);
    const alerts = (await hub.dataSource.query(
      `SELECT JSON_UNQUOTE(JSON_EXTRACT(detail, '$.how')) AS how FROM audit_events
        WHERE event = 'restricted-study-accessed' AND actor_user = 'web-admin-ra7'`,
    )) as Array<{ how: string }>;
    expect(alerts.map((alert) => alert.how)).toEqual(expect.arrayContaining(['listed', 'viewed']));
  });

  it('is read by an independent client (dicomweb-client) over a real socket', async () => {
    const server = hub.http as unknown as Server;
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    try {
      const { port } = server.address() as AddressInfo;
      // dicomweb-client speaks XMLHttpRequest, which Node has not: xhr2 provides it.
      (globalThis as unknown as { XMLHttpRequest: unknown }).XMLHttpRequest = require('xhr2');
      const { api } = require('dicomweb-client') as typeof import('dicomweb-client');
      const client = new api.DICOMwebClient({
        url: `http://${HOST}:${port}/dicomweb`,
        headers: as.clinicianRA7,
      } as never) as unknown as {
        searchForStudies(options: object): Promise<unknown>;
        retrieveStudy(options: object): Promise<unknown>;
        retrieveStudyMetadata(options: object): Promise<unknown>;
      };
      const studies = (await client.searchForStudies({ queryParams: { PatientID: 'WEB0001' } })) as Json[];
      expect(studies.map((s) => value(s, '0020000D'))).toEqual([forRa7.studyInstanceUid]);
      const instances = (await client.retrieveStudy({ studyInstanceUID: forRa7.studyInstanceUid })) as ArrayBuffer[];
      expect(instances).toHaveLength(4);
      const uids = instances.map((buffer) => {
        const text = Buffer.from(buffer).toString('latin1');
        return forRa7.series.flatMap((s) => s.instances).find((i) => text.includes(i.sopInstanceUid))?.sopInstanceUid;
      });
      expect(uids.filter(Boolean)).toHaveLength(4);
      const metadata = (await client.retrieveStudyMetadata({ studyInstanceUID: forRa7.studyInstanceUid })) as Json[];
      expect(metadata.map((m) => value(m, '00080050'))).toEqual(Array(4).fill('RVJ-ACC700'));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('is read by Orthanc’s DICOMweb plugin, configured with the hub as a DICOMweb server', async () => {
    const server = hub.http as unknown as Server;
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const orthanc = await startOrthanc({
      dir: mkdtempSync(path.join(work, 'orthanc-')),
      aeTitle: 'ORTHANC',
      dicomwebServers: {
        hub: {
          Url: `http://${HOST}:${(server.address() as AddressInfo).port}/dicomweb/`,
          HttpHeaders: as.clinicianRA7,
        },
      },
    });
    try {
      await orthanc.rest('POST', '/dicom-web/servers/hub/retrieve', {
        Resources: [{ Study: forRa7.studyInstanceUid }],
      });
      const stats = await orthanc.rest<{ CountInstances: number }>('GET', '/statistics');
      expect(stats.CountInstances).toBe(4);
      const instances = await orthanc.rest<string[]>('GET', '/instances');
      const tags = await Promise.all(
        instances.map((id) => orthanc.rest<Record<string, string>>('GET', `/instances/${id}/simplified-tags`)),
      );
      // Orthanc holds what RA7 receives: RA7's coercion applied, the compressed series still compressed.
      expect(new Set(tags.map((tag) => tag.AccessionNumber))).toEqual(new Set(['RVJ-ACC700']));
      expect(tags.map((tag) => tag.SOPInstanceUID).sort()).toEqual(
        forRa7.series.flatMap((s) => s.instances.map((i) => i.sopInstanceUid)).sort(),
      );
      const syntaxes = await Promise.all(
        instances.map((id) => orthanc.rest<{ TransferSyntax: string }>('GET', `/instances/${id}/metadata?expand`)),
      );
      expect(syntaxes.filter((meta) => meta.TransferSyntax === TransferSyntaxUid['jpeg-ls'])).toHaveLength(2);
    } finally {
      await orthanc.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('sends no CORS headers unless the configuration lists the origin', async () => {
    const response = await request(hub.http!)
      .get('/dicomweb/studies?PatientID=WEB0001')
      .set(as.clinicianRA7)
      .set('Origin', 'http://viewer.example')
      .expect(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  describe('secure viewer links', () => {
    let token: string;
    let linkId: string;

    it('are made only by users of the trust whose folder holds the study, capped by its retention', async () => {
      await request(hub.http!).post(`/api/studies/${ra7StudyId}/links`).send({}).expect(401);
      await request(hub.http!).post(`/api/studies/${ra7StudyId}/links`).set(as.governance).send({}).expect(403);
      await request(hub.http!).post(`/api/studies/${ra7StudyId}/links`).set(as.clinicianRVJ).send({}).expect(403);
      const restrictedId = (
        (await hub.dataSource.query('SELECT id FROM studies WHERE study_instance_uid = ?', [
          restricted.studyInstanceUid,
        ])) as Array<{ id: string }>
      )[0].id;
      await request(hub.http!).post(`/api/studies/${restrictedId}/links`).set(as.clinicianRA7).send({}).expect(404);
      const created = await request(hub.http!)
        .post(`/api/studies/${ra7StudyId}/links`)
        .set(as.clinicianRA7)
        .send({})
        .expect(201);
      const body = created.body as { id: string; token: string; url: string; expiresAt: string; state: string };
      token = body.token;
      linkId = body.id;
      expect(body.url).toBe(`/viewer/links/${token}`);
      expect(body.state).toBe('active');
      // The emergency folder keeps a study 18 h: the default 72 h is cut to what is left of it.
      const [transfer] = (await hub.dataSource.query(
        'SELECT expires_at AS expiresAt FROM transfers WHERE study_id = ?',
        [ra7StudyId],
      )) as Array<{ expiresAt: Date }>;
      expect(new Date(body.expiresAt).getTime()).toBe(new Date(transfer.expiresAt).getTime());
      const [stored] = (await hub.dataSource.query('SELECT token_hash AS tokenHash FROM viewer_links WHERE id = ?', [
        linkId,
      ])) as Array<{ tokenHash: string }>;
      expect(stored.tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(stored.tokenHash).not.toContain(token);
      const listed = await request(hub.http!).get(`/api/studies/${ra7StudyId}/links`).set(as.adminRA7).expect(200);
      expect((listed.body as Array<{ id: string; token?: string }>).map((link) => [link.id, link.token])).toEqual([
        [linkId, undefined],
      ]);
    });

    it('open without a log-in, for their one study only, and each opening is audited with the link and address', async () => {
      const opened = await request(hub.http!).get(`/api/viewer-links/${token}`).expect(200);
      expect(opened.body).toMatchObject({
        linkId,
        studyInstanceUid: forRa7.studyInstanceUid,
        dicomwebRoot: `/dicomweb/links/${token}`,
      });
      const root = `/dicomweb/links/${token}`;
      const studies = (await request(hub.http!).get(`${root}/studies`).expect(200)).body as Json[];
      expect(studyUids(studies)).toEqual([forRa7.studyInstanceUid]);
      expect(value(studies[0], '00080050')).toBe('RVJ-ACC700');
      const metadata = (await request(hub.http!).get(`${root}/studies/${forRa7.studyInstanceUid}/metadata`).expect(200))
        .body as Json[];
      expect(metadata).toHaveLength(4);
      expect(metadata[0]['7FE00010'].BulkDataURI).toContain(`${root}/studies/`);
      await request(hub.http!).get(`${root}/studies/${restricted.studyInstanceUid}/metadata`).expect(404);
      await request(hub.http!).get(`${root}/studies/${forRvj.studyInstanceUid}`).expect(404);
      const events = (await hub.dataSource.query(
        `SELECT event, action, actor_address AS address, JSON_UNQUOTE(JSON_EXTRACT(detail, '$.linkId')) AS linkId
           FROM audit_events WHERE JSON_UNQUOTE(JSON_EXTRACT(detail, '$.linkId')) = ? ORDER BY id`,
        [linkId],
      )) as Array<{ event: string; action: string; address: string; linkId: string }>;
      expect(events.map((event) => event.event)).toEqual([
        'viewer-link-created',
        'viewer-link-opened',
        'dicomweb-searched',
        'dicomweb-retrieved',
      ]);
      expect(events[1].action).toBe('DicomInstancesAccessed');
      expect(events.slice(1).every((event) => /127\.0\.0\.1/.test(event.address))).toBe(true);
    });

    it('stop working once revoked, or once expired, and an unknown token opens nothing', async () => {
      await request(hub.http!).delete(`/api/studies/${ra7StudyId}/links/${linkId}`).set(as.clinicianRVJ).expect(403);
      const revoked = await request(hub.http!)
        .delete(`/api/studies/${ra7StudyId}/links/${linkId}`)
        .set(as.adminRA7)
        .expect(200);
      expect((revoked.body as { state: string }).state).toBe('revoked');
      await request(hub.http!).get(`/api/viewer-links/${token}`).expect(410);
      await request(hub.http!).get(`/dicomweb/links/${token}/studies`).expect(410);
      await request(hub.http!).delete(`/api/studies/${ra7StudyId}/links/${linkId}`).set(as.adminRA7).expect(409);

      const shortLived = await request(hub.http!)
        .post(`/api/studies/${ra7StudyId}/links`)
        .set(as.clinicianRA7)
        .send({ hours: 1.5 / 3600 })
        .expect(201);
      const shortToken = (shortLived.body as { token: string }).token;
      await request(hub.http!).get(`/dicomweb/links/${shortToken}/studies`).expect(200);
      await waitFor('the link to expire', async () => {
        const response = await request(hub.http!).get(`/dicomweb/links/${shortToken}/studies`);
        return response.status === 410 ? response : undefined;
      });
      await request(hub.http!).get(`/api/viewer-links/${shortToken}`).expect(410);
      await request(hub.http!).get('/api/viewer-links/NoSuchTokenAtAllNoSuchTokenAtAll').expect(404);

      const refusals = (await hub.dataSource.query(
        `SELECT action, JSON_UNQUOTE(JSON_EXTRACT(detail, '$.reason')) AS reason FROM audit_events
          WHERE event = 'viewer-link-refused' ORDER BY id`,
      )) as Array<{ action: string; reason: string }>;
      expect(refusals.map((refusal) => refusal.reason)).toEqual(
        expect.arrayContaining(['revoked', 'expired', 'unknown token']),
      );
      expect(refusals.every((refusal) => refusal.action === 'SecurityAlert')).toBe(true);
    });
  });
});

describe('DICOMweb with CORS for a listed origin, and viewer links that need a log-in as well', () => {
  let work: string;
  let hub: TestHub;
  let study: GeneratedStudy;
  let clinician: Auth;
  let studyId: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-dicomweb-cors-'));
    hub = await startTestHub({
      apps: ['receiver', 'router', 'portal'],
      stableStudySeconds: 1,
      configure: (raw) => {
        Object.assign(raw.trusts.find((trust) => trust.code === 'RA7')!.nodes[0], { receive: 'pull' });
        Object.assign(raw, {
          dicomweb: { corsOrigins: ['http://viewer.example'] },
          viewerLinks: { requireLogin: true },
        });
      },
    });
    study = await makeStudy(path.join(work, 'study'), {
      patientId: 'WEB0101',
      patientName: 'CORS^DAN',
      series: [{ kind: 'mr-small', count: 1 }],
    });
    expect((await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files)).code).toBe(0);
    studyId = await waitFor('the study filed', async () => {
      const [row] = (await hub.dataSource.query(
        `SELECT s.id FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid = ?`,
        [study.studyInstanceUid],
      )) as Array<{ id: string }>;
      return row?.id;
    });
    clinician = await hub.userSession('cors-clinician', 'clinician', 'RA7');
  }, 120_000);

  afterAll(async () => {
    await hub?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('answers a listed origin’s preflight and requests with CORS headers, and no other origin', async () => {
    const preflight = await request(hub.http!)
      .options('/dicomweb/studies')
      .set('Origin', 'http://viewer.example')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization')
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://viewer.example');
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Authorization/);
    const other = await request(hub.http!)
      .options('/dicomweb/studies')
      .set('Origin', 'http://elsewhere.example')
      .set('Access-Control-Request-Method', 'GET');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const found = await request(hub.http!)
      .get('/dicomweb/studies?PatientID=WEB0101')
      .set(clinician)
      .set('Origin', 'http://viewer.example')
      .expect(200);
    expect(found.headers['access-control-allow-origin']).toBe('http://viewer.example');
    expect(studyUidsOf(found.body as Json[])).toEqual([study.studyInstanceUid]);
  });

  it('opens a viewer link only for a logged-in user when the configuration says so', async () => {
    const created = await request(hub.http!).post(`/api/studies/${studyId}/links`).set(clinician).send({}).expect(201);
    const token = (created.body as { token: string }).token;
    await request(hub.http!).get(`/api/viewer-links/${token}`).expect(401);
    await request(hub.http!).get(`/dicomweb/links/${token}/studies`).expect(401);
    await request(hub.http!).get(`/api/viewer-links/${token}`).set(clinician).expect(200);
    const found = await request(hub.http!).get(`/dicomweb/links/${token}/studies`).set(clinician).expect(200);
    expect(studyUidsOf(found.body as Json[])).toEqual([study.studyInstanceUid]);
    const [opened] = (await hub.dataSource.query(
      `SELECT actor_user AS user FROM audit_events WHERE event = 'viewer-link-opened' ORDER BY id DESC LIMIT 1`,
    )) as Array<{ user: string }>;
    expect(opened.user).toBe('cors-clinician');
  });
});

function studyUidsOf(body: Json[]): string[] {
  return body.map((study) => value(study, '0020000D') as string).sort();
}
