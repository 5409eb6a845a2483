import { AuditVerifyService } from '@hub/audit';
import type { AuditEventView } from '@hub/governance';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { StorescpHandle, startStorescp, storescu } from './support/dcmtk';
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
});
