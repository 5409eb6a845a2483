import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StudyCompletionService } from '@hub/ingest';
import { TransferSweepService } from '@hub/routing';
import Redis from 'ioredis';
import { spawn } from 'node:child_process';
import { StorescpHandle, freePort, startStorescp, stopProcess, storescu, waitForPort } from './support/dcmtk';
import { GeneratedStudy, makeStudy } from './support/dicom-factory';
import { TcpProxy } from './support/tcp-proxy';
import { TestHub, TestHubRawConfig, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';

/**
 * A recipient trust of this spec's own, with one push node: the run's database is shared by every spec,
 * and a forwarder's start-up sweep picks up any pending transfer to the nodes it serves.
 */
const recipient =
  (code: string, port: number, maxAssociations = 2) =>
  (raw: TestHubRawConfig) => {
    raw.trusts.push({
      code,
      name: `Isolation ${code}`,
      patientIdIssuer: code,
      inbound: { emergency: `${code}_EMER`, elective: `${code}_ELEC` },
      nodes: [{ aeTitle: `${code}_PACS`, host: HOST, port, allowedIps: [HOST], receive: 'push', maxAssociations }],
    });
    raw.agreements.push({ from: 'RVJ', to: code, folders: ['emergency', 'elective'] });
  };

interface TransferRow {
  id: string;
  state: string;
  attempts: number;
  folder: string;
  lastError: string | null;
  deliveredAt: Date | null;
}

async function transferOf(hub: TestHub, studyInstanceUid: string): Promise<TransferRow | undefined> {
  const [row] = (await hub.dataSource.query(
    `SELECT t.id, t.state, t.attempts, t.folder, t.last_error AS lastError, t.delivered_at AS deliveredAt FROM transfers t
       JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid = ?`,
    [studyInstanceUid],
  )) as TransferRow[];
  return row;
}

const delivered = (hub: TestHub, studyInstanceUid: string) => async () => {
  const row = await transferOf(hub, studyInstanceUid);
  return row?.state === 'delivered' ? row : undefined;
};

describe('forwarder isolation (storescp as the recipients)', () => {
  let work: string;
  const hubs: TestHub[] = [];
  const scps: StorescpHandle[] = [];
  const closers: Array<() => Promise<void>> = [];

  /**
   * A recipient whose node allows one association, each taking a second or more, behind a proxy counting
   * connections; a receiver and router, and two forwarders (so a per-process limit would show as 2). Then
   * four one-instance studies sent to `calledAe`'s folder.
   */
  async function twoForwardersToOneSlowNode(code: string, folder: 'EMER' | 'ELEC', redisUrl?: string) {
    const outputDir = mkdtempSync(path.join(work, 'pacs-'));
    const scp = await startStorescp({
      aeTitle: `${code}_PACS`,
      outputDir,
      fork: true,
      extraArgs: ['--sleep-during', '1'],
    });
    scps.push(scp);
    const proxy = new TcpProxy(HOST, scp.port);
    await proxy.start();
    closers.push(() => proxy.cut());
    const storageDir = mkdtempSync(path.join(work, 'store-'));
    const shared = { stableStudySeconds: 1, storageDir, redisUrl, configure: recipient(code, proxy.port, 1) };
    const ingest = await startTestHub({ ...shared, apps: ['receiver', 'router'] });
    hubs.push(ingest);
    for (let i = 0; i < 2; i++) {
      hubs.push(await startTestHub({ ...shared, apps: ['forwarder'], queuePrefix: ingest.queuePrefix }));
    }
    const studies: GeneratedStudy[] = [];
    for (let i = 1; i <= 4; i++) {
      const study = await makeStudy(path.join(work, `${code}-${i}`), {
        patientId: `${code.slice(0, 6)}${i}`,
        patientName: 'TEST^LIMIT',
        series: [{ kind: 'mr-small', count: 1 }],
      });
      await storescu(HOST, ingest.port, 'RVJ_PACS', `${code}_${folder}`, study.files);
      studies.push(study);
    }
    return { outputDir, proxy, ingest, studies };
  }

  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-isolation-'));
  });

  afterEach(async () => {
    // Forwarders first (they finish active deliveries), then whoever created the queues removes them.
    for (const hub of hubs.splice(0).reverse()) {
      await hub.destroy();
    }
    await Promise.all(scps.splice(0).map((scp) => scp.stop()));
    for (const close of closers.splice(0)) {
      await close();
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('delivers to a live recipient while another one hangs (accepts TCP, never answers)', async () => {
    // Worse than a refused connection: each attempt holds its worker until the association timeout.
    const hung = net.createServer(() => undefined);
    const sockets = new Set<net.Socket>();
    hung.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => hung.listen(0, HOST, resolve));
    closers.push(async () => {
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => hung.close(() => resolve()));
    });
    const outputDir = mkdtempSync(path.join(work, 'live-'));
    const live = await startStorescp({ aeTitle: 'ISOLIVE_PACS', outputDir });
    scps.push(live);
    const hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds: 1,
      configure: (raw) => {
        recipient('ISOHUNG', (hung.address() as net.AddressInfo).port, 1)(raw);
        recipient('ISOLIVE', live.port)(raw);
      },
    });
    hubs.push(hub);
    const toHung = await makeStudy(path.join(work, 'hung'), {
      patientId: 'ISO0001',
      patientName: 'TEST^HUNG',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    const toLive = await makeStudy(path.join(work, 'live'), {
      patientId: 'ISO0002',
      patientName: 'TEST^LIVE',
      series: [{ kind: 'mr-small', count: 3 }],
    });
    // The hung recipient's study first, so its delivery is already stuck when the live one's is queued.
    await storescu(HOST, hub.port, 'RVJ_PACS', 'ISOHUNG_EMER', toHung.files);
    await waitFor('a delivery attempt to the hung recipient', async () => {
      const row = await transferOf(hub, toHung.studyInstanceUid);
      return row?.state === 'delivering' && sockets.size > 0 ? row : undefined;
    });
    await storescu(HOST, hub.port, 'RVJ_PACS', 'ISOLIVE_EMER', toLive.files);

    await waitFor('delivery to the live recipient', delivered(hub, toLive.studyInstanceUid));
    expect(readdirSync(outputDir)).toHaveLength(3);
    expect((await transferOf(hub, toHung.studyInstanceUid))?.state).not.toBe('delivered');
    // The hung attempt gives up at the SCU's timeout (10 s without traffic) and the transfer waits for a retry.
    const retried = await waitFor(
      'the hung attempt to time out',
      async () => {
        const row = await transferOf(hub, toHung.studyInstanceUid);
        return row && row.attempts >= 1 && row.state === 'queued' ? row : undefined;
      },
      30_000,
    );
    expect(retried.lastError).toMatch(/timeout/i);
    // Leave nothing pending in the shared database.
    await hub.dataSource.query("UPDATE transfers SET state = 'failed' WHERE id = ?", [retried.id]);
  });

  it("holds a node's maxAssociations across two forwarder processes", async () => {
    const { outputDir, proxy, ingest, studies } = await twoForwardersToOneSlowNode('ISOLIMIT', 'EMER');
    for (const study of studies) {
      await waitFor('every delivery', delivered(ingest, study.studyInstanceUid), 60_000);
    }
    expect(readdirSync(outputDir)).toHaveLength(4);
    expect(proxy.accepted).toBe(4);
    expect(proxy.peakOpen).toBe(1);
  }, 90_000);

  it("keeps a node's maxAssociations across two forwarders when Redis is flushed while they deliver", async () => {
    // A throwaway Redis of our own, so FLUSHALL touches nothing else.
    const redisPort = await freePort();
    const redis = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', HOST, '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    closers.push(async () => {
      await stopProcess(redis);
    });
    await waitForPort(redisPort, 10000, { pid: redis.pid, isAlive: () => redis.exitCode === null });
    const redisUrl = `redis://${HOST}:${redisPort}`;
    const { outputDir, proxy, ingest, studies } = await twoForwardersToOneSlowNode('ISOFLUSH', 'ELEC', redisUrl);
    await waitFor('a delivery to be under way', () => Promise.resolve(proxy.open > 0 ? true : undefined), 30_000);
    const client = new Redis(redisUrl);
    try {
      await client.flushall();
    } finally {
      client.disconnect();
    }
    // The association under way finishes; then the router's sweep finds the rest in MySQL and queues it
    // again (it runs every minute; here at once).
    await waitFor('the association under way to end', () => Promise.resolve(proxy.open === 0 ? true : undefined));
    await ingest.app.get(StudyCompletionService).sweep();
    await ingest.app.get(TransferSweepService).sweep();
    for (const study of studies) {
      await waitFor('every delivery', delivered(ingest, study.studyInstanceUid), 60_000);
    }
    expect(readdirSync(outputDir).filter((name) => !name.startsWith('.'))).toHaveLength(4);
    expect(proxy.peakOpen).toBe(1);
  }, 120_000);

  it('sends an emergency study before elective ones already queued for the same node', async () => {
    const outputDir = mkdtempSync(path.join(work, 'pacs-'));
    const scp = await startStorescp({ aeTitle: 'ISOPRIO_PACS', outputDir, extraArgs: ['--sleep-during', '1'] });
    scps.push(scp);
    const hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds: 1,
      configure: recipient('ISOPRIO', scp.port, 1),
    });
    hubs.push(hub);
    const electives: GeneratedStudy[] = [];
    for (let i = 1; i <= 3; i++) {
      const study = await makeStudy(path.join(work, `elective-${i}`), {
        patientId: `ISO020${i}`,
        patientName: 'TEST^ELECTIVE',
        series: [{ kind: 'mr-small', count: 1 }],
      });
      await storescu(HOST, hub.port, 'RVJ_PACS', 'ISOPRIO_ELEC', study.files);
      electives.push(study);
    }
    // Every elective transfer queued (one of them already going out) before the emergency study arrives.
    await waitFor('the elective transfers', async () => {
      const rows = await Promise.all(electives.map((study) => transferOf(hub, study.studyInstanceUid)));
      return rows.every((row) => row && ['queued', 'delivering'].includes(row.state)) ? rows : undefined;
    });
    const emergency = await makeStudy(path.join(work, 'emergency'), {
      patientId: 'ISO0299',
      patientName: 'TEST^EMERGENCY',
      series: [{ kind: 'mr-small', count: 1 }],
    });
    await storescu(HOST, hub.port, 'RVJ_PACS', 'ISOPRIO_EMER', emergency.files);

    const urgent = await waitFor('the emergency delivery', delivered(hub, emergency.studyInstanceUid), 30_000);
    const routine: TransferRow[] = [];
    for (const study of electives) {
      routine.push(await waitFor('the elective deliveries', delivered(hub, study.studyInstanceUid), 30_000));
    }
    // Delivery starts in order: at most the elective already going out is ahead of the emergency.
    const startedAfter = routine.filter((row) => row.deliveredAt!.getTime() > urgent.deliveredAt!.getTime());
    expect(startedAfter.length).toBeGreaterThanOrEqual(1);
    expect(urgent.folder).toBe('emergency');
  }, 60_000);
});
