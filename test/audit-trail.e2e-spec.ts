import { AuditVerifyService } from '@hub/audit';
import type { AuditEventView } from '@hub/governance';
import { InstanceIngestService } from '@hub/ingest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { stringify } from 'yaml';
import { StorescpHandle, freePort, startStorescp, storescu, waitForPort } from './support/dcmtk';
import { makeStudy } from './support/dicom-factory';
import { TestHub, ra7PushNodeAt, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';

/** An event as the portal returns it (the view the CSV export writes too). */
type EventView = AuditEventView;

describe('audit trail of a full exchange: storescu → hub → storescp, then a portal view', () => {
  let work: string;
  let hub: TestHub;
  let scp: StorescpHandle;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-trail-'));
    const outputDir = mkdtempSync(path.join(work, 'pacs-'));
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir });
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder', 'portal'],
      stableStudySeconds: 1,
      configure: ra7PushNodeAt(scp.port),
    });
  });

  afterAll(async () => {
    await hub?.destroy();
    await scp?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('holds every event in order with its participants, and the access report names everyone', async () => {
    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'TRL0001',
      patientName: 'TEST^TRAIL',
      series: [{ kind: 'mr-small', count: 3 }],
    });
    // Elective: routed once complete, so the trail's order is fixed (emergency studies are routed and
    // delivered while they arrive: test/forward-while-receiving.e2e-spec.ts).
    const sent = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_ELEC', study.files);
    expect(sent.stores.map((store) => store.status)).toEqual([0, 0, 0]);
    const transferId = await waitFor('delivery', async () => {
      const [row] = (await hub.dataSource.query(
        `SELECT t.id, t.state FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid = ?`,
        [study.studyInstanceUid],
      )) as Array<{ id: string; state: string }>;
      return row?.state === 'delivered' ? row.id : undefined;
    });
    expect(readdirSync(scp.outputDir).length).toBeGreaterThan(0);

    const clinician = await hub.userSession('trail-clinician', 'clinician', 'RA7');
    const detail = (await request(hub.http!).get(`/api/transfers/${transferId}`).set(clinician).expect(200)).body as {
      state: string;
      study: { patientId: string };
      timeline: EventView[];
    };
    expect(detail).toMatchObject({ state: 'delivered', study: { patientId: 'TRL0001' } });
    expect(detail.timeline.map((event) => event.event)).toEqual([
      'instances-stored',
      'study-completed',
      'study-routed',
      'delivery-attempted',
    ]);

    const governance = await hub.userSession('trail-governance', 'governance');
    const trail = (
      await request(hub.http!).get(`/api/audit?studyInstanceUid=${study.studyInstanceUid}`).set(governance).expect(200)
    ).body as { total: number; items: EventView[] };
    const pick = (event: EventView) => ({
      event: event.event,
      action: event.action,
      outcome: event.outcome,
      actorUser: event.actorUser,
      actorAeTitle: event.actorAeTitle,
      sourceTrust: event.sourceTrust,
      destinationTrust: event.destinationTrust,
      patientId: event.patientId,
    });
    expect(trail.items.map(pick)).toEqual([
      {
        event: 'instances-stored',
        action: 'DicomInstancesTransferred',
        outcome: 0,
        actorUser: null,
        actorAeTitle: 'RVJ_PACS',
        sourceTrust: 'RVJ',
        destinationTrust: 'RA7',
        patientId: 'TRL0001',
      },
      expect.objectContaining({ event: 'study-completed', action: 'DicomInstancesTransferred', patientId: 'TRL0001' }),
      {
        event: 'study-routed',
        action: 'BeginTransferringDicomInstances',
        outcome: 0,
        actorUser: 'router',
        actorAeTitle: null,
        sourceTrust: 'RVJ',
        destinationTrust: 'RA7',
        patientId: 'TRL0001',
      },
      {
        event: 'delivery-attempted',
        action: 'DicomInstancesTransferred',
        outcome: 0,
        actorUser: null,
        actorAeTitle: 'IEP_HUB',
        sourceTrust: 'RVJ',
        destinationTrust: 'RA7',
        patientId: 'TRL0001',
      },
      {
        event: 'transfer-viewed',
        action: 'DicomInstancesAccessed',
        outcome: 0,
        actorUser: 'trail-clinician',
        actorAeTitle: null,
        sourceTrust: 'RVJ',
        destinationTrust: 'RA7',
        patientId: 'TRL0001',
      },
    ]);
    expect(trail.items[0].actorAddress).toBe('127.0.0.1');
    expect(trail.items[3].detail).toMatchObject({ transferId, delivered: 3, failed: 0, state: 'delivered' });
    expect(trail.items[3].detail.node).toMatch(/^RA7_PACS@127\.0\.0\.1:\d+$/);
    expect(trail.items.map((event) => Number(event.id))).toEqual(
      [...trail.items.map((event) => Number(event.id))].sort((a, b) => a - b),
    );

    const report = (await request(hub.http!).get('/api/audit/patients/TRL0001/access').set(governance).expect(200))
      .body as {
      patientId: string;
      accessors: Array<{ actor: string; kind: string; trusts: string[]; events: string[] }>;
      events: EventView[];
    };
    expect(report.patientId).toBe('TRL0001');
    expect(report.accessors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: 'RVJ_PACS', kind: 'node', trusts: ['RVJ'] }),
        expect.objectContaining({ actor: 'router', kind: 'user', events: ['study-routed'] }),
        expect.objectContaining({
          actor: expect.stringMatching(/^RA7_PACS@/),
          kind: 'node',
          trusts: ['RA7'],
          events: ['delivery-attempted'],
        }),
        expect.objectContaining({ actor: 'trail-clinician', kind: 'user', events: ['transfer-viewed'] }),
      ]),
    );
    expect(report.events.map((event) => event.event)).toEqual(
      expect.arrayContaining(['instances-stored', 'study-routed', 'delivery-attempted', 'transfer-viewed']),
    );

    await expect(hub.app.get(AuditVerifyService).verify()).resolves.toMatchObject({ intact: true });
  });

  it("shows on a transfer's timeline only its own copy of a study sent to two folders", async () => {
    const study = await makeStudy(path.join(work, 'two-copies'), {
      patientId: 'TRL0002',
      patientName: 'TEST^TWICE',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    for (const calledAe of ['RA7_ELEC', 'RA7_EMER']) {
      expect((await storescu(HOST, hub.port, 'RVJ_PACS', calledAe, study.files)).stores.map((s) => s.status)).toEqual([
        0, 0,
      ]);
    }
    const copies = await waitFor('both copies delivered', async () => {
      const rows = (await hub.dataSource.query(
        `SELECT t.id, t.study_id AS studyId, t.folder, t.state FROM transfers t JOIN studies s ON s.id = t.study_id
          WHERE s.study_instance_uid = ?`,
        [study.studyInstanceUid],
      )) as Array<{ id: string; studyId: string; folder: string; state: string }>;
      return rows.length === 2 && rows.every((row) => row.state === 'delivered') ? rows : undefined;
    });
    const clinician = await hub.userSession('trail-clinician-2', 'clinician', 'RA7');
    for (const copy of copies) {
      const other = copies.find((candidate) => candidate.id !== copy.id)!;
      const { timeline } = (await request(hub.http!).get(`/api/transfers/${copy.id}`).set(clinician).expect(200))
        .body as { timeline: EventView[] };
      expect(timeline.map((event) => event.event)).toContain('study-routed');
      for (const event of timeline) {
        expect(event.detail.transferId ?? copy.id).toBe(copy.id);
        expect(event.detail.studyId ?? copy.studyId).toBe(copy.studyId);
        expect(event.detail.folder ?? copy.folder).toBe(copy.folder);
        expect(JSON.stringify(event.detail)).not.toContain(other.id);
      }
    }
  });
});

describe('stored-instance audit through a receiver crash (storescu, kill -9)', () => {
  it('audits each acknowledged instance once: every second while it runs, and the rest after a restart', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-crash-audit-'));
    // The receiver that will crash runs as a process of its own, on this spec's database and storage.
    const survivor = await startTestHub({ apps: ['receiver'] });
    const configFile = path.join(work, 'hub.yaml');
    const port = await freePort();
    writeFileSync(
      configFile,
      stringify({ ...survivor.rawConfig, hub: { ...survivor.rawConfig.hub, dicomPort: port } }),
    );
    const receiver = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/receiver/src/main.ts'],
      {
        cwd: path.join(__dirname, '..'),
        env: {
          ...process.env,
          HUB_CONFIG: configFile,
          DATABASE_URL: survivor.databaseUrl,
          QUEUE_PREFIX: survivor.queuePrefix,
          LOG_LEVEL: 'error',
        },
        stdio: 'ignore',
      },
    );
    try {
      await waitForPort(port, 60_000, { pid: receiver.pid, isAlive: () => receiver.exitCode === null });
      const study = await makeStudy(path.join(work, 'study'), {
        patientId: 'CRA0001',
        patientName: 'TEST^CRASH',
        series: [{ kind: 'mr-small', count: 1500 }],
      });
      // SIGKILL once some instances are stored, mid-association.
      const sending = storescu(HOST, port, 'RVJ_PACS', 'RA7_ELEC', study.files);
      // Once the first audit run has happened, so the trail holds both kinds: written live, and recovered.
      await waitFor('the first audit run', async () => {
        const rows = (await survivor.dataSource.query(
          `SELECT COUNT(*) AS n FROM instances i JOIN studies s ON s.id = i.study_id
            WHERE s.study_instance_uid = ? AND i.audited_at IS NOT NULL`,
          [study.studyInstanceUid],
        )) as Array<{ n: string }>;
        return Number(rows[0].n) > 0 ? true : undefined;
      });
      receiver.kill('SIGKILL');
      const sent = await sending;
      const acknowledged = sent.stores.filter((store) => store.status === 0).length;
      expect(acknowledged).toBeGreaterThan(0);
      expect(acknowledged).toBeLessThan(study.files.length);

      const rows = (await survivor.dataSource.query(
        `SELECT i.sop_instance_uid AS uid, i.audited_at AS auditedAt FROM instances i
           JOIN studies s ON s.id = i.study_id WHERE s.study_instance_uid = ?`,
        [study.studyInstanceUid],
      )) as Array<{ uid: string; auditedAt: Date | null }>;
      expect(rows.length).toBeGreaterThanOrEqual(acknowledged);
      expect(rows.some((row) => row.auditedAt === null)).toBe(true);
      expect(rows.some((row) => row.auditedAt !== null)).toBe(true);

      // What the restarted receiver's reconciliation does at start-up (here on the in-process receiver).
      await survivor.app.get(InstanceIngestService).auditUnaudited(new Date(Date.now() + 1000));
      const events = (await survivor.dataSource.query(
        `SELECT detail FROM audit_events WHERE event = 'instances-stored' AND study_instance_uid = ?`,
        [study.studyInstanceUid],
      )) as Array<{ detail: unknown }>;
      const covered = events.flatMap((row) => {
        const detail = (typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail) as {
          sopInstanceUids: string[];
        };
        return detail.sopInstanceUids;
      });
      expect([...covered].sort()).toEqual(rows.map((row) => row.uid).sort());
      expect(events.some((row) => JSON.stringify(row.detail).includes('"recovered"'))).toBe(true);
    } finally {
      receiver.kill('SIGKILL');
      await survivor.destroy();
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
