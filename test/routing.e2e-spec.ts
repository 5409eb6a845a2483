import { ExpiryService, QuarantineService, RouteResult, RoutingService, TransferSweepService } from '@hub/routing';
import { LIVE_TRANSFER_STATES } from '@hub/db';
import { JobName, StudyQueueProducer } from '@hub/queue';
import { ConflictException } from '@nestjs/common';
import { Job } from 'bullmq';
import Redis from 'ioredis';
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, stopProcess, storescu, waitForPort } from './support/dcmtk';
import { GeneratedStudy, SeriesSpec, SopClassUid, makeStudy } from './support/dicom-factory';
import { TestHub, TestHubRawConfig, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';
const HOUR_MS = 3600 * 1000;
const BOTH_FOLDERS = ['emergency', 'elective'];
const PENDING_TRANSFER_STATES = LIVE_TRANSFER_STATES;

/** A recipient trust the tests send to: inbound AEs <CODE>_EMER / <CODE>_ELEC and one node that receives. */
function recipientTrust(code: string, receive: 'push' | 'pull' = 'push') {
  return {
    code,
    name: `Routing test recipient ${code}`,
    patientIdIssuer: code,
    inbound: { emergency: `${code}_EMER`, elective: `${code}_ELEC` },
    nodes: [{ aeTitle: `${code}_PACS`, host: HOST, port: 4204, allowedIps: [HOST], send: false, receive }],
  };
}

/** RXA has no agreement, RQ1 none until the release test adds one; each other trust's agreement has one flaw. */
const RECIPIENT_CODES = ['RXA', 'RXS', 'RXL', 'RXF', 'RXE', 'RXM', 'RXR', 'RQ1'];

function matrixAgreements() {
  return [
    { from: 'RVJ', to: 'RXS', folders: BOTH_FOLDERS, suspended: true },
    { from: 'RVJ', to: 'RXL', folders: BOTH_FOLDERS, activeUntil: '2020-01-01T00:00:00Z' },
    { from: 'RVJ', to: 'RXF', folders: BOTH_FOLDERS, activeFrom: '2099-01-01T00:00:00Z' },
    { from: 'RVJ', to: 'RXE', folders: ['elective'] },
    { from: 'RVJ', to: 'RXM', folders: BOTH_FOLDERS, modalities: ['CT'] },
    { from: 'RVJ', to: 'RXR', folders: BOTH_FOLDERS, modalities: ['MR'] },
    { from: 'RVJ', to: 'RXP', folders: BOTH_FOLDERS },
  ];
}

/**
 * Every hub in this spec applies the same trusts (config apply deactivates what a file leaves out, and the
 * database is shared), with RVJ→RA7 from the default config plus the agreements and retention given.
 */
function routingConfig(options: {
  agreements?: Array<Record<string, unknown>>;
  folders?: TestHubRawConfig['folders'];
}) {
  return (raw: TestHubRawConfig) => {
    raw.trusts.push(...RECIPIENT_CODES.map((code) => recipientTrust(code)), recipientTrust('RXP', 'pull'));
    raw.agreements.push(...matrixAgreements(), ...(options.agreements ?? []));
    if (options.folders) {
      raw.folders = options.folders;
    }
  };
}

interface StudyRow {
  id: string;
  state: string;
  folder: string;
  quarantine_reason: string | null;
  first_received_at: Date;
  patient_id: string;
}

interface TransferRow {
  id: string;
  state: string;
  folder: string;
  expires_at: Date;
  expired_at: Date | null;
  has_report: number;
  report_received_at: Date | null;
}

interface InstanceRow {
  id: string;
  sop_instance_uid: string;
  sop_class_uid: string;
  storage_path: string;
  received_at: Date;
  purged_at: Date | null;
}

interface AuditRow {
  id: string;
  event: string;
  outcome: number;
  actor_user: string | null;
  source_trust: string | null;
  destination_trust: string | null;
  patient_id: string | null;
  study_instance_uid: string;
  detail: Record<string, unknown>;
}

let work: string;
let patientCounter = 0;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'iehub-routing-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Makes a small study (or more instances of an existing one) and sends it from RVJ_PACS to a hub AE. */
async function sendStudy(
  hub: TestHub,
  calledAe: string,
  series: SeriesSpec[] = [{ kind: 'mr-small', count: 3 }],
  existing?: GeneratedStudy,
): Promise<GeneratedStudy> {
  const study = await makeStudy(path.join(work, calledAe), {
    patientId: existing?.patientId ?? `RT${String(++patientCounter).padStart(5, '0')}`,
    patientName: 'TEST^ROUTING',
    studyInstanceUid: existing?.studyInstanceUid,
    accessionNumber: existing?.accessionNumber,
    series,
  });
  await sendFiles(hub, calledAe, study.files);
  return study;
}

async function sendFiles(hub: TestHub, calledAe: string, files: string[]): Promise<void> {
  const sent = await storescu(HOST, hub.port, 'RVJ_PACS', calledAe, files);
  expect(sent.association).toBe('accepted');
  expect(sent.stores.map((store) => store.status)).toEqual(files.map(() => 0));
}

async function studyRow(hub: TestHub, studyInstanceUid: string, calledAe: string): Promise<StudyRow> {
  const [row] = (await hub.dataSource.query(
    `SELECT id, state, folder, quarantine_reason, first_received_at, patient_id FROM studies
      WHERE study_instance_uid = ? AND called_ae_title = ?`,
    [studyInstanceUid, calledAe],
  )) as StudyRow[];
  if (!row) {
    throw new Error(`no study ${studyInstanceUid} sent to ${calledAe}`);
  }
  return row;
}

async function transfersOf(hub: TestHub, studyId: string): Promise<TransferRow[]> {
  return (await hub.dataSource.query(
    `SELECT id, state, folder, expires_at, expired_at, has_report, report_received_at FROM transfers
      WHERE study_id = ?`,
    [studyId],
  )) as TransferRow[];
}

async function onlyTransfer(hub: TestHub, studyId: string): Promise<TransferRow> {
  const transfers = await transfersOf(hub, studyId);
  expect(transfers).toHaveLength(1);
  return transfers[0];
}

async function instancesOf(hub: TestHub, studyId: string): Promise<InstanceRow[]> {
  return (await hub.dataSource.query(
    `SELECT id, sop_instance_uid, sop_class_uid, storage_path, received_at, purged_at FROM instances
      WHERE study_id = ? ORDER BY id`,
    [studyId],
  )) as InstanceRow[];
}

/** Instance ids in a transfer, in id order (as instancesOf lists them). */
async function transferInstanceIds(hub: TestHub, transferId: string): Promise<string[]> {
  const rows = (await hub.dataSource.query(
    'SELECT instance_id FROM transfer_instances WHERE transfer_id = ? ORDER BY instance_id',
    [transferId],
  )) as Array<{ instance_id: string }>;
  return rows.map((row) => String(row.instance_id));
}

async function auditRows(hub: TestHub, studyInstanceUid: string, events?: string[]): Promise<AuditRow[]> {
  const rows = (await hub.dataSource.query(
    `SELECT id, event, outcome, actor_user, source_trust, destination_trust, patient_id, study_instance_uid, detail
       FROM audit_events WHERE study_instance_uid = ? ORDER BY id`,
    [studyInstanceUid],
  )) as Array<Omit<AuditRow, 'detail'> & { detail: string | Record<string, unknown> }>;
  return rows
    .map((row) => ({ ...row, detail: typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail }))
    .filter((row) => !events || events.includes(row.event));
}

function producer(hub: TestHub): StudyQueueProducer {
  return hub.app.get(StudyQueueProducer);
}

/** DeliverTransfer jobs for a transfer, in any state (there is no delivery consumer yet: they wait). */
async function deliveryJobs(hub: TestHub, transferId: string): Promise<Job[]> {
  const jobs = await hub.deliveryJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed']);
  return jobs.filter((job) => job.name === JobName.DeliverTransfer && job.data.transferId === transferId);
}

async function expiryJob(hub: TestHub, transferId: string): Promise<Job | undefined> {
  return producer(hub).queue.getJob(`expire-${transferId}`);
}

/** Waits until `runs` RouteStudy jobs for the study have finished, and returns what the last one decided. */
async function routeOutcome(hub: TestHub, studyId: string, runs = 1): Promise<RouteResult> {
  return waitFor(
    `RouteStudy #${runs} of study ${studyId} to finish`,
    async () => {
      const jobs = await producer(hub).queue.getJobs(['completed', 'failed']);
      // Routing as an emergency study's first instance arrives is not the decision after completion.
      const mine = jobs.filter(
        (job) =>
          job.name === JobName.RouteStudy &&
          'studyId' in job.data &&
          job.data.studyId === studyId &&
          !(job.returnvalue as { whileReceiving?: true } | null)?.whileReceiving &&
          (job.returnvalue as { studyState?: string } | null)?.studyState !== 'receiving',
      );
      const failed = mine.find((job) => job.failedReason);
      if (failed) {
        throw new Error(`RouteStudy failed: ${failed.failedReason}`);
      }
      mine.sort((a, b) => (a.finishedOn ?? 0) - (b.finishedOn ?? 0));
      return mine.length >= runs ? (mine.at(-1)!.returnvalue as RouteResult) : undefined;
    },
    20000,
  );
}

describe('routing (storescu → receiver → router; real MariaDB and Redis)', () => {
  describe('sharing agreements', () => {
    let hub: TestHub;

    interface RoutingCase {
      title: string;
      calledAe: string;
      series?: SeriesSpec[];
      outcome: { state: 'routed'; transfer: 'queued' | 'awaiting-pull' } | { state: 'quarantined'; reason: string };
    }
    const cases: RoutingCase[] = [
      {
        title: 'an agreement covering the folder',
        calledAe: 'RA7_EMER',
        outcome: { state: 'routed', transfer: 'queued' },
      },
      {
        title: 'an agreement covering the elective folder',
        calledAe: 'RA7_ELEC',
        outcome: { state: 'routed', transfer: 'queued' },
      },
      {
        title: 'an MR-only agreement, for MR images with their SR report',
        calledAe: 'RXR_EMER',
        series: [
          { kind: 'mr-small', count: 2 },
          { kind: 'sr', count: 1 },
        ],
        outcome: { state: 'routed', transfer: 'queued' },
      },
      {
        title: 'an agreement, to a pull-only recipient',
        calledAe: 'RXP_EMER',
        outcome: { state: 'routed', transfer: 'awaiting-pull' },
      },
      {
        title: 'no agreement',
        calledAe: 'RXA_EMER',
        outcome: { state: 'quarantined', reason: 'no sharing agreement between these trusts' },
      },
      {
        title: 'a suspended agreement',
        calledAe: 'RXS_EMER',
        outcome: { state: 'quarantined', reason: 'sharing agreement suspended' },
      },
      {
        title: 'a lapsed agreement',
        calledAe: 'RXL_EMER',
        outcome: { state: 'quarantined', reason: 'sharing agreement lapsed on 2020-01-01T00:00:00.000Z' },
      },
      {
        title: 'an agreement not yet in force (elective)',
        calledAe: 'RXF_ELEC',
        outcome: { state: 'quarantined', reason: 'sharing agreement not in force until 2099-01-01T00:00:00.000Z' },
      },
      {
        title: 'an agreement not covering the folder',
        calledAe: 'RXE_EMER',
        outcome: { state: 'quarantined', reason: 'sharing agreement does not cover the emergency folder' },
      },
      {
        title: 'an agreement not covering the modality',
        calledAe: 'RXM_EMER',
        outcome: { state: 'quarantined', reason: 'sharing agreement does not cover modality MR' },
      },
    ];
    const sent = new Map<string, GeneratedStudy>();

    beforeAll(async () => {
      hub = await startTestHub({ apps: ['receiver', 'router'], stableStudySeconds: 1, configure: routingConfig({}) });
      const studies = await Promise.all(cases.map((c) => sendStudy(hub, c.calledAe, c.series)));
      cases.forEach((c, i) => sent.set(c.calledAe, studies[i]));
      for (const c of cases) {
        await routeOutcome(hub, (await studyRow(hub, sent.get(c.calledAe)!.studyInstanceUid, c.calledAe)).id);
      }
    });

    afterAll(async () => {
      await hub?.destroy();
    });

    it.each(cases.map((c) => [c.title, c] as const))('with %s', async (_, c) => {
      const study = sent.get(c.calledAe)!;
      const row = await studyRow(hub, study.studyInstanceUid, c.calledAe);
      const destination = c.calledAe.slice(0, 3);
      const events = await auditRows(hub, study.studyInstanceUid, ['study-routed', 'study-quarantined']);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        source_trust: 'RVJ',
        destination_trust: destination,
        patient_id: study.patientId,
        study_instance_uid: study.studyInstanceUid,
        actor_user: 'router',
      });

      if (c.outcome.state === 'quarantined') {
        expect(row).toMatchObject({ state: 'quarantined', quarantine_reason: c.outcome.reason });
        expect(events[0]).toMatchObject({
          event: 'study-quarantined',
          outcome: 4,
          detail: { studyId: row.id, reason: c.outcome.reason },
        });
        // Nothing leaves without an agreement: no transfer, so nothing a delivery job could name.
        expect(await transfersOf(hub, row.id)).toEqual([]);
        const jobs = await hub.deliveryJobs(['waiting', 'prioritized', 'delayed', 'active']);
        const transferIds = jobs.map((job) => job.data.transferId as string);
        const studiesDelivered = transferIds.length
          ? ((await hub.dataSource.query('SELECT study_id FROM transfers WHERE id IN (?)', [transferIds])) as Array<{
              study_id: string;
            }>)
          : [];
        expect(studiesDelivered.map((r) => r.study_id)).not.toContain(row.id);
        return;
      }

      expect(row).toMatchObject({ state: 'routed', quarantine_reason: null });
      const transfer = await onlyTransfer(hub, row.id);
      expect(transfer.state).toBe(c.outcome.transfer);
      const instances = await instancesOf(hub, row.id);
      expect(instances).toHaveLength(study.files.length);
      expect(await transferInstanceIds(hub, transfer.id)).toEqual(instances.map((i) => String(i.id)));
      expect(events[0]).toMatchObject({
        event: 'study-routed',
        outcome: 0,
        detail: {
          studyId: row.id,
          transferId: transfer.id,
          folder: row.folder,
          state: c.outcome.transfer,
          expiresAt: transfer.expires_at.toISOString(),
          instances: study.files.length,
        },
      });
      // Push recipients get a delivery job; a pull-only recipient's study waits in the folder.
      expect(await deliveryJobs(hub, transfer.id)).toHaveLength(c.outcome.transfer === 'queued' ? 1 : 0);
      const expiry = await expiryJob(hub, transfer.id);
      expect(expiry).toBeDefined();
      expect(await expiry!.getState()).toBe('delayed');
    });

    it('reports the SR that came with the images: has_report is set at routing', async () => {
      const study = sent.get('RXR_EMER')!;
      const row = await studyRow(hub, study.studyInstanceUid, 'RXR_EMER');
      const transfer = await onlyTransfer(hub, row.id);
      const sr = (await instancesOf(hub, row.id)).find((i) => i.sop_class_uid === SopClassUid.basicTextSr);
      expect(Boolean(transfer.has_report)).toBe(true);
      expect(transfer.report_received_at?.getTime()).toBe(sr!.received_at.getTime());
      const imagesOnly = await onlyTransfer(
        hub,
        (await studyRow(hub, sent.get('RA7_EMER')!.studyInstanceUid, 'RA7_EMER')).id,
      );
      expect(Boolean(imagesOnly.has_report)).toBe(false);
      expect(imagesOnly.report_received_at).toBeNull();
    });

    it.each([
      ['emergency', 'RA7_EMER', 18],
      ['elective', 'RA7_ELEC', 192],
    ])('files the %s study until first arrival + its folder retention', async (folder, calledAe, hours) => {
      const row = await studyRow(hub, sent.get(calledAe)!.studyInstanceUid, calledAe);
      expect(row.folder).toBe(folder);
      const transfer = await onlyTransfer(hub, row.id);
      expect(transfer.folder).toBe(folder);
      expect(transfer.expires_at.getTime() - row.first_received_at.getTime()).toBe(hours * HOUR_MS);
    });

    it('adds a late SR to the delivered transfer, flips the report flag and queues it again, expiry unchanged', async () => {
      const images = await sendStudy(hub, 'RA7_EMER', [{ kind: 'mr-small', count: 2 }]);
      const row = await studyRow(hub, images.studyInstanceUid, 'RA7_EMER');
      expect(await routeOutcome(hub, row.id)).toMatchObject({ state: 'routed' });
      const routed = await onlyTransfer(hub, row.id);
      expect(Boolean(routed.has_report)).toBe(false);
      const imageIds = await transferInstanceIds(hub, routed.id);
      expect(imageIds).toHaveLength(2);
      // Delivery is a later issue: arrange the precondition as the forwarder will leave it.
      await hub.dataSource.query(
        "UPDATE transfer_instances SET state = 'delivered', delivered_at = NOW(3) WHERE transfer_id = ?",
        [routed.id],
      );
      await hub.dataSource.query("UPDATE transfers SET state = 'delivered', delivered_at = NOW(3) WHERE id = ?", [
        routed.id,
      ]);

      const report = await sendStudy(hub, 'RA7_EMER', [{ kind: 'sr', count: 1 }], images);
      expect(report.studyInstanceUid).toBe(images.studyInstanceUid);
      expect(await routeOutcome(hub, row.id, 2)).toEqual({ state: 'late-instances', transferId: routed.id, added: 1 });

      expect((await studyRow(hub, images.studyInstanceUid, 'RA7_EMER')).id).toBe(row.id);
      const sr = (await instancesOf(hub, row.id)).find(
        (i) => i.sop_instance_uid === report.series[0].instances[0].sopInstanceUid,
      );
      expect(sr).toBeDefined();
      const transfer = await onlyTransfer(hub, row.id);
      expect(await transferInstanceIds(hub, routed.id)).toEqual([...imageIds, String(sr!.id)]);
      expect(transfer.state).toBe('queued');
      expect(Boolean(transfer.has_report)).toBe(true);
      expect(transfer.report_received_at?.getTime()).toBe(sr!.received_at.getTime());
      expect(transfer.expires_at.getTime()).toBe(routed.expires_at.getTime());
      const [joined, ...more] = await auditRows(hub, images.studyInstanceUid, ['late-instances-joined']);
      expect(more).toEqual([]);
      expect(joined).toMatchObject({
        source_trust: 'RVJ',
        destination_trust: 'RA7',
        detail: { transferId: routed.id, instances: 1, sopClasses: [SopClassUid.basicTextSr], redeliver: true },
      });
      const states = (await hub.dataSource.query(
        'SELECT instance_id, state FROM transfer_instances WHERE transfer_id = ? ORDER BY instance_id',
        [routed.id],
      )) as Array<{ instance_id: string; state: string }>;
      expect(states.filter((s) => s.state === 'pending').map((s) => String(s.instance_id))).toEqual([String(sr!.id)]);
      expect(await deliveryJobs(hub, routed.id)).toHaveLength(1);
    });
  });

  describe('expiry', () => {
    let hub: TestHub;
    let emergency: GeneratedStudy;

    beforeAll(async () => {
      // Emergency retention of 1.8 s; elective keeps its default 192 h.
      hub = await startTestHub({
        apps: ['receiver', 'router'],
        stableStudySeconds: 1,
        configure: routingConfig({
          folders: { emergency: { retentionHours: 0.0005 }, elective: { retentionHours: 192 } },
        }),
      });
    });

    afterAll(async () => {
      await hub?.destroy();
    });

    it('purges the expired folder copy but keeps study, instance, transfer and audit records; the other copy stays', async () => {
      emergency = await sendStudy(hub, 'RA7_EMER', [{ kind: 'mr-small', count: 3 }]);
      // Checked at once: the quiet period (1 s) alone keeps the study from routing, let alone expiring, before this.
      const urgent = await studyRow(hub, emergency.studyInstanceUid, 'RA7_EMER');
      const urgentFiles = (await instancesOf(hub, urgent.id)).map((i) => path.join(hub.storageDir, i.storage_path));
      expect(urgentFiles).toHaveLength(3);
      expect(urgentFiles.every((file) => existsSync(file))).toBe(true);
      await sendFiles(hub, 'RA7_ELEC', emergency.files);
      const planned = await studyRow(hub, emergency.studyInstanceUid, 'RA7_ELEC');
      const plannedFiles = (await instancesOf(hub, planned.id)).map((i) => path.join(hub.storageDir, i.storage_path));

      const expired = await waitFor('the emergency transfer to expire', async () => {
        const [transfer] = await transfersOf(hub, urgent.id);
        return transfer?.state === 'expired' ? transfer : undefined;
      });
      expect(expired.expires_at.getTime() - urgent.first_received_at.getTime()).toBe(0.0005 * HOUR_MS);
      expect(expired.expired_at!.getTime()).toBeGreaterThanOrEqual(expired.expires_at.getTime());
      const deleted = await waitFor('study-deleted to be audited', async () => {
        const rows = await auditRows(hub, emergency.studyInstanceUid, ['study-deleted']);
        return rows.length > 0 ? rows : undefined;
      });
      expect(deleted).toHaveLength(1);
      expect(deleted[0]).toMatchObject({
        source_trust: 'RVJ',
        destination_trust: 'RA7',
        detail: { studyId: urgent.id, transferId: expired.id, reason: 'expired', instancesPurged: 3 },
      });

      expect(urgentFiles.some((file) => existsSync(file))).toBe(false);
      const purged = await instancesOf(hub, urgent.id);
      expect(purged).toHaveLength(3);
      expect(purged.every((i) => i.purged_at !== null)).toBe(true);
      expect((await studyRow(hub, emergency.studyInstanceUid, 'RA7_EMER')).state).toBe('expired');
      expect(await transferInstanceIds(hub, expired.id)).toHaveLength(3);

      // The elective copy of the same study has its own files and its own time.
      const electiveTransfer = await onlyTransfer(hub, planned.id);
      expect(electiveTransfer.state).toBe('queued');
      expect(plannedFiles.every((file) => existsSync(file))).toBe(true);
      expect((await instancesOf(hub, planned.id)).every((i) => i.purged_at === null)).toBe(true);

      // A second run of the expiry job changes nothing.
      const auditBefore = (await auditRows(hub, emergency.studyInstanceUid)).length;
      await expect(hub.app.get(ExpiryService).handleExpireTransfer(expired.id)).resolves.toEqual({
        state: 'already-expired',
      });
      expect((await auditRows(hub, emergency.studyInstanceUid)).length).toBe(auditBefore);
      expect((await onlyTransfer(hub, urgent.id)).expired_at?.getTime()).toBe(expired.expired_at!.getTime());
    });

    it('purges an instance that arrives after the folder time is up, rather than keeping it for ever', async () => {
      const urgent = await studyRow(hub, emergency.studyInstanceUid, 'RA7_EMER');
      expect(urgent.state).toBe('expired');
      const transfer = await onlyTransfer(hub, urgent.id);
      const late = await sendStudy(hub, 'RA7_EMER', [{ kind: 'sr', count: 1 }], emergency);
      const sopInstanceUid = late.series[0].instances[0].sopInstanceUid;
      const purged = await waitFor('the late instance to be purged', async () => {
        const row = (await instancesOf(hub, urgent.id)).find((i) => i.sop_instance_uid === sopInstanceUid);
        return row?.purged_at ? row : undefined;
      });
      expect(existsSync(path.join(hub.storageDir, purged.storage_path))).toBe(false);
      expect((await studyRow(hub, emergency.studyInstanceUid, 'RA7_EMER')).state).toBe('expired');
      expect(await onlyTransfer(hub, urgent.id)).toEqual(transfer);
      expect(await transferInstanceIds(hub, transfer.id)).toHaveLength(3);
      // As at discard, the purge is audited just after the rows are marked.
      const deleted = await waitFor('the late purge to be audited', async () => {
        const rows = await auditRows(hub, emergency.studyInstanceUid, ['study-deleted']);
        return rows.length > 1 ? rows : undefined;
      });
      expect(deleted.map((row) => row.detail)).toEqual([
        expect.objectContaining({ reason: 'expired', instancesPurged: 3 }),
        expect.objectContaining({ studyId: urgent.id, reason: 'expired', instancesPurged: 1 }),
      ]);
    });
  });

  describe('Redis loss', () => {
    let hub: TestHub;
    let redis: ChildProcess;
    let redisUrl: string;

    beforeAll(async () => {
      // A throwaway Redis of our own, so FLUSHALL touches nothing else.
      const port = await freePort();
      redis = spawn('redis-server', ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      await waitForPort(port, 10000, { pid: redis.pid, isAlive: () => redis.exitCode === null });
      redisUrl = `redis://${HOST}:${port}`;
      hub = await startTestHub({
        apps: ['receiver', 'router'],
        stableStudySeconds: 1,
        redisUrl,
        configure: routingConfig({}),
      });
    });

    afterAll(async () => {
      await hub?.destroy();
      if (redis) {
        await stopProcess(redis);
      }
    });

    it('re-queues every pending transfer from MySQL after FLUSHALL, and a second run of a job changes nothing', async () => {
      const [pushed, pulled] = await Promise.all([sendStudy(hub, 'RA7_EMER'), sendStudy(hub, 'RXP_ELEC')]);
      const pushStudy = await studyRow(hub, pushed.studyInstanceUid, 'RA7_EMER');
      const pullStudy = await studyRow(hub, pulled.studyInstanceUid, 'RXP_ELEC');
      await routeOutcome(hub, pushStudy.id);
      await routeOutcome(hub, pullStudy.id);
      const push = await onlyTransfer(hub, pushStudy.id);
      const pull = await onlyTransfer(hub, pullStudy.id);
      expect([push.state, pull.state]).toEqual(['queued', 'awaiting-pull']);
      expect(await deliveryJobs(hub, push.id)).toHaveLength(1);
      expect(await expiryJob(hub, pull.id)).toBeDefined();

      const client = new Redis(redisUrl);
      try {
        await client.flushall();
      } finally {
        client.disconnect();
      }
      expect(await deliveryJobs(hub, push.id)).toHaveLength(0);
      expect(await expiryJob(hub, push.id)).toBeUndefined();
      expect(await expiryJob(hub, pull.id)).toBeUndefined();

      await hub.app.get(TransferSweepService).sweep();

      // Every transfer MySQL says is pending has its jobs back, not only the two sent here.
      const pending = (await hub.dataSource.query('SELECT id, state, expires_at FROM transfers WHERE state IN (?)', [
        PENDING_TRANSFER_STATES,
      ])) as Array<{ id: string; state: string; expires_at: Date }>;
      expect(pending.map((t) => t.id)).toEqual(expect.arrayContaining([push.id, pull.id]));
      const delivering = (await hub.deliveryJobs(['waiting', 'prioritized', 'delayed'])).map(
        (job) => job.data.transferId as string,
      );
      for (const transfer of pending) {
        const expiry = await expiryJob(hub, transfer.id);
        expect(expiry).toBeDefined();
        expect(expiry!.data).toEqual({ transferId: transfer.id });
        expect(Math.abs(expiry!.timestamp + (expiry!.opts.delay ?? 0) - transfer.expires_at.getTime())).toBeLessThan(
          1000,
        );
        expect(delivering.filter((id) => id === transfer.id)).toHaveLength(transfer.state === 'queued' ? 1 : 0);
      }

      // A second run of a job: RouteStudy again through the queue, and straight on the service.
      const snapshot = async () => ({
        transfers: await transfersOf(hub, pushStudy.id),
        instances: await transferInstanceIds(hub, push.id),
        audit: (await auditRows(hub, pushed.studyInstanceUid)).map((row) => row.id),
        delivery: (await deliveryJobs(hub, push.id)).map((job) => job.id),
        study: await studyRow(hub, pushed.studyInstanceUid, 'RA7_EMER'),
      });
      const before = await snapshot();
      await producer(hub).scheduleRoute(pushStudy.id);
      expect(await routeOutcome(hub, pushStudy.id)).toEqual({ state: 'late-instances', transferId: push.id, added: 0 });
      await expect(hub.app.get(RoutingService).handleRouteStudy(pushStudy.id)).resolves.toEqual({
        state: 'late-instances',
        transferId: push.id,
        added: 0,
      });
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('quarantine', () => {
    let hub: TestHub;
    let storageDir: string;
    const actor = { user: 'test' };
    let release: GeneratedStudy;
    let discard: GeneratedStudy;
    let stillBlocked: GeneratedStudy;

    beforeAll(async () => {
      storageDir = mkdtempSync(path.join(tmpdir(), 'iehub-quarantine-'));
      const first = await startTestHub({
        apps: ['receiver', 'router'],
        stableStudySeconds: 1,
        storageDir,
        configure: routingConfig({}),
      });
      try {
        [release, discard, stillBlocked] = await Promise.all([
          sendStudy(first, 'RQ1_EMER'),
          sendStudy(first, 'RQ1_EMER'),
          sendStudy(first, 'RQ1_ELEC'),
        ]);
        for (const [study, calledAe] of [
          [release, 'RQ1_EMER'],
          [discard, 'RQ1_EMER'],
          [stillBlocked, 'RQ1_ELEC'],
        ] as const) {
          const row = await studyRow(first, study.studyInstanceUid, calledAe);
          expect(await routeOutcome(first, row.id)).toEqual({
            state: 'quarantined',
            reason: 'no sharing agreement between these trusts',
          });
        }
      } finally {
        await first.stop();
      }
      // The trusts agree, for emergencies only; the configuration is applied as the hub starts.
      hub = await startTestHub({
        apps: ['receiver', 'router'],
        stableStudySeconds: 1,
        storageDir,
        queuePrefix: first.queuePrefix,
        configure: routingConfig({ agreements: [{ from: 'RVJ', to: 'RQ1', folders: ['emergency'] }] }),
      });
    });

    afterAll(async () => {
      await hub?.destroy();
      rmSync(storageDir, { recursive: true, force: true });
    });

    it('releases a study once an agreement allows it: routed, transfer queued, delivery job waiting', async () => {
      const row = await studyRow(hub, release.studyInstanceUid, 'RQ1_EMER');
      expect(row.state).toBe('quarantined');
      const result = await hub.app.get(QuarantineService).release(row.id, actor);
      expect(result.state).toBe('routed');
      const transfer = await onlyTransfer(hub, row.id);
      expect(result).toEqual({ state: 'routed', transferId: transfer.id });
      expect(transfer.state).toBe('queued');
      expect(await studyRow(hub, release.studyInstanceUid, 'RQ1_EMER')).toMatchObject({
        state: 'routed',
        quarantine_reason: null,
      });
      expect(await transferInstanceIds(hub, transfer.id)).toHaveLength(release.files.length);
      expect(await deliveryJobs(hub, transfer.id)).toHaveLength(1);
      const events = await auditRows(hub, release.studyInstanceUid, ['quarantine-released', 'study-routed']);
      expect(events.map((e) => [e.event, e.outcome, e.actor_user])).toEqual([
        ['study-routed', 0, 'router'],
        ['quarantine-released', 0, 'test'],
      ]);
      expect(events[1]).toMatchObject({ source_trust: 'RVJ', destination_trust: 'RQ1', detail: { studyId: row.id } });
    });

    it('refuses (409) to release a study no agreement allows yet, and keeps it quarantined with no transfer', async () => {
      const row = await studyRow(hub, stillBlocked.studyInstanceUid, 'RQ1_ELEC');
      const error = await hub.app
        .get(QuarantineService)
        .release(row.id, actor)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(ConflictException);
      expect((error as ConflictException).getStatus()).toBe(409);
      expect(await studyRow(hub, stillBlocked.studyInstanceUid, 'RQ1_ELEC')).toMatchObject({
        state: 'quarantined',
        quarantine_reason: 'sharing agreement does not cover the elective folder',
      });
      expect(await transfersOf(hub, row.id)).toEqual([]);
      const events = await auditRows(hub, stillBlocked.studyInstanceUid, ['quarantine-released', 'study-quarantined']);
      expect(events.map((e) => [e.event, e.outcome])).toEqual([
        ['study-quarantined', 4],
        ['study-quarantined', 4],
        ['quarantine-released', 4],
      ]);
    });

    it('discards a quarantined study: files purged, rows kept, audited; it cannot be released afterwards', async () => {
      const row = await studyRow(hub, discard.studyInstanceUid, 'RQ1_EMER');
      const files = (await instancesOf(hub, row.id)).map((i) => path.join(storageDir, i.storage_path));
      expect(files).toHaveLength(discard.files.length);
      expect(files.every((file) => existsSync(file))).toBe(true);

      const quarantine = hub.app.get(QuarantineService);
      await expect(quarantine.discard(row.id, actor)).resolves.toEqual({ instancesPurged: discard.files.length });
      expect(files.some((file) => existsSync(file))).toBe(false);
      const instances = await instancesOf(hub, row.id);
      expect(instances).toHaveLength(discard.files.length);
      expect(instances.every((i) => i.purged_at !== null)).toBe(true);
      expect((await studyRow(hub, discard.studyInstanceUid, 'RQ1_EMER')).state).toBe('discarded');
      expect(await transfersOf(hub, row.id)).toEqual([]);
      const events = await auditRows(hub, discard.studyInstanceUid, ['quarantine-discarded']);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        outcome: 0,
        actor_user: 'test',
        source_trust: 'RVJ',
        destination_trust: 'RQ1',
        detail: { studyId: row.id, instancesPurged: discard.files.length },
      });
      await expect(quarantine.release(row.id, actor)).rejects.toBeInstanceOf(ConflictException);

      // What the sender sends for it afterwards is acknowledged, then purged too: never kept, never delivered.
      const late = await sendStudy(hub, 'RQ1_EMER', [{ kind: 'sr', count: 1 }], discard);
      const sopInstanceUid = late.series[0].instances[0].sopInstanceUid;
      const purged = await waitFor('the late instance to be purged', async () => {
        const instance = (await instancesOf(hub, row.id)).find((i) => i.sop_instance_uid === sopInstanceUid);
        return instance?.purged_at ? instance : undefined;
      });
      expect(existsSync(path.join(storageDir, purged.storage_path))).toBe(false);
      expect((await studyRow(hub, discard.studyInstanceUid, 'RQ1_EMER')).state).toBe('discarded');
      expect(await transfersOf(hub, row.id)).toEqual([]);
      // The purge is audited just after the rows are marked, so wait for the event too.
      const deleted = await waitFor('the late purge to be audited', async () => {
        const rows = await auditRows(hub, discard.studyInstanceUid, ['study-deleted']);
        return rows.length > 0 ? rows : undefined;
      });
      expect(deleted.map((e) => e.detail)).toEqual([{ studyId: row.id, reason: 'discarded', instancesPurged: 1 }]);
    });
  });
});
