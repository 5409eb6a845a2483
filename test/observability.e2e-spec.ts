import { splitPart10 } from '@hub/dicom';
import { StudyQueueProducer } from '@hub/queue';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { stringify } from 'yaml';
import { StorescpHandle, freePort, startStorescp, stopProcess, storescu, waitForPort } from './support/dcmtk';
import { makeStudy } from './support/dicom-factory';
import { TcpProxy } from './support/tcp-proxy';
import { TestHub, ra7PushNodeAt, specDatabaseUrl, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';

/** The value of one sample in Prometheus text (`name{labels} value`), or undefined when it is not there. */
function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics and health (real MariaDB, Redis, storescu and storescp)', () => {
  let work: string;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-observability-'));
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup();
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('counts a send → route → deliver cycle in /metrics, and reports ready', async () => {
    const scp: StorescpHandle = await startStorescp({
      aeTitle: 'RA7_PACS',
      outputDir: mkdtempSync(path.join(work, 'pacs-')),
    });
    cleanups.push(() => scp.stop());
    const hub: TestHub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder', 'portal'],
      stableStudySeconds: 1,
      configure: ra7PushNodeAt(scp.port),
    });
    cleanups.push(() => hub.destroy());
    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'OBS0001',
      patientName: 'TEST^METRICS',
      series: [{ kind: 'mr-small', count: 3 }],
    });

    const sent = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_ELEC', study.files);
    expect(sent.stores.map((store) => store.status)).toEqual([0, 0, 0]);
    const refused = await storescu(HOST, hub.port, 'NOBODY', 'RA7_ELEC', study.files[0]!);
    expect(refused.association).toBe('rejected');
    await waitFor(
      'delivery to the recipient',
      () =>
        Promise.resolve(readdirSync(scp.outputDir).filter((name) => !name.startsWith('.')).length === 3 || undefined),
      60_000,
    );
    const metrics = await waitFor('the delivery to be counted', async () => {
      const body = (await request(hub.http!).get('/metrics').expect(200)).text;
      return sample(body, 'iehub_deliveries_total{node="RA7_PACS",outcome="delivered"}') === 1 ? body : undefined;
    });

    const datasetBytes = study.files.reduce((sum, file) => sum + splitPart10(readFileSync(file)).dataset.length, 0);
    const expected: Record<string, number> = {
      'iehub_instances_received_total{calling_ae="RVJ_PACS",outcome="stored"}': 3,
      'iehub_received_bytes_total{calling_ae="RVJ_PACS",outcome="stored"}': datasetBytes,
      'iehub_store_duration_seconds_count{outcome="stored"}': 3,
      'iehub_associations_total{ending="released"}': 1,
      iehub_associations_active: 0,
      'iehub_associations_rejected_total{reason="calling-ae-not-recognized"}': 1,
      'iehub_delivered_instances_total{node="RA7_PACS",outcome="delivered"}': 3,
      'iehub_transfers{state="delivered"}': 1,
      'iehub_delivery_queue_depth{node="RA7_PACS",state="waiting"}': 0,
      'iehub_delivery_queue_depth{node="RA7_PACS",state="active"}': 0,
      iehub_oldest_waiting_emergency_transfer_seconds: 0,
      'iehub_audit_events_total{event="association-accepted"}': 1,
      'iehub_audit_events_total{event="association-rejected"}': 1,
      'iehub_audit_events_total{event="instances-stored"}': 1,
      'iehub_audit_events_total{event="delivery-attempted"}': 1,
    };
    expect(Object.fromEntries(Object.keys(expected).map((series) => [series, sample(metrics, series)]))).toEqual(
      expected,
    );
    expect(sample(metrics, 'iehub_instances_received_total{calling_ae="NOBODY",outcome="stored"}')).toBeUndefined();

    // The scraper needs no session; readiness names each check.
    const ready = await request(hub.http!).get('/api/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: {
        mysql: { status: 'up' },
        redis: { status: 'up' },
        storage: { status: 'up', minFreeMegabytes: 1024 },
        dicom: { status: 'up', port: hub.port },
      },
    });
    await request(hub.http!).get('/api/health/live').expect(200, { status: 'ok', info: {}, error: {}, details: {} });
    await request(hub.http!).get('/api/health').expect(200);
  }, 120_000);

  it('reports not ready while MySQL or Redis is unreachable, and ready again when it is back', async () => {
    const redisPort = await freePort();
    const startRedis = () => {
      const child = spawn(
        'redis-server',
        ['--port', String(redisPort), '--bind', HOST, '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      return waitForPort(redisPort, 10_000, { pid: child.pid, isAlive: () => child.exitCode === null }).then(
        () => child,
      );
    };
    let redis: ChildProcess = await startRedis();
    // Stopped after the hub (cleanups run last first): the hub closes its queues on a live Redis.
    cleanups.push(() => stopProcess(redis));
    const mysql = new TcpProxy(HOST, 3306);
    await mysql.start();
    cleanups.push(() => mysql.cut());
    const databaseUrl = new URL(specDatabaseUrl());
    databaseUrl.host = `${HOST}:${mysql.port}`;
    const hub = await startTestHub({
      apps: ['portal'],
      redisUrl: `redis://${HOST}:${redisPort}`,
      databaseUrl: databaseUrl.toString(),
    });
    cleanups.push(() => hub.destroy());
    const readiness = async () => (await request(hub.http!).get('/api/health/ready')).body as Record<string, any>;

    expect(await readiness()).toMatchObject({ status: 'ok' });

    await stopProcess(redis);
    const redisDown = await waitFor('readiness to see Redis gone', async () => {
      const response = await request(hub.http!).get('/api/health/ready');
      return response.status === 503 ? (response.body as Record<string, any>) : undefined;
    });
    // The portal answers its one error shape, naming the check that failed and only that one.
    expect(redisDown).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(redisDown.message).toMatch(/^not ready: redis: /);
    expect(redisDown.message).not.toMatch(/mysql|storage/);
    // Liveness does not depend on what the process stands on: the orchestrator must not restart it for this.
    await request(hub.http!).get('/api/health/live').expect(200);
    // The older probe answers as it always did.
    await request(hub.http!).get('/api/health').expect(503);

    redis = await startRedis();
    await waitFor('readiness with Redis back', async () => ((await readiness()).status === 'ok' ? true : undefined));
    // The producer's other connection (fetches) reconnects on its own schedule; shutting down needs it back too.
    const fetchQueue = hub.app.get(StudyQueueProducer).fetchQueue;
    await waitFor('the fetch queue connection to be back', async () =>
      ((await fetchQueue.client) as unknown as { ping(): Promise<string> }).ping().then(
        () => true,
        () => undefined,
      ),
    );

    await mysql.cut();
    const mysqlDown = await waitFor('readiness to see MySQL gone', async () => {
      const response = await request(hub.http!).get('/api/health/ready');
      return response.status === 503 ? (response.body as Record<string, any>) : undefined;
    });
    expect(mysqlDown).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(mysqlDown.message).toMatch(/^not ready: mysql: /);
    expect(mysqlDown.message).not.toMatch(/redis|storage/);
    await mysql.restore();
    await waitFor('readiness with MySQL back', async () => ((await readiness()).status === 'ok' ? true : undefined));
  }, 120_000);

  it('below the free-space floor the receiver answers 0xA700 and is not ready, on its own monitoring port', async () => {
    // The receiver as its own process (`node dist/apps/receiver/src/main.js` in production), with a floor no
    // disk reaches: its small HTTP listener serves the health checks and metrics.
    const db = await startTestHub({ apps: [] });
    cleanups.push(() => db.destroy());
    const dicomPort = await freePort();
    const monitoringPort = await freePort();
    const configFile = path.join(work, 'hub.yaml');
    writeFileSync(
      configFile,
      stringify({
        ...db.rawConfig,
        hub: { ...db.rawConfig.hub, dicomPort, httpPort: await freePort(), storageDir: db.storageDir },
        storage: { minFreeMegabytes: 1024 ** 3 },
        monitoring: { receiverPort: monitoringPort, metricsToken: 'scrape-token-for-the-test' },
      }),
    );
    let output = '';
    const receiver = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/receiver/src/main.ts'],
      {
        cwd: path.join(__dirname, '..'),
        env: {
          ...process.env,
          HUB_CONFIG: configFile,
          DATABASE_URL: db.databaseUrl,
          QUEUE_PREFIX: db.queuePrefix,
          LOG_LEVEL: 'log',
        },
      },
    );
    receiver.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    receiver.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cleanups.push(() => stopProcess(receiver));
    const alive = { pid: receiver.pid, isAlive: () => receiver.exitCode === null };
    await waitForPort(dicomPort, 90_000, alive).catch((error: Error) => {
      throw new Error(`${error.message}\n${output}`);
    });
    const monitoring = `http://${HOST}:${monitoringPort}`;

    await request(monitoring).get('/health/live').expect(200);
    const ready = await request(monitoring).get('/health/ready').expect(503);
    // Without the portal's error filter, the body is terminus's: every check with its state.
    expect(ready.body).toMatchObject({
      message: expect.stringMatching(/^not ready: storage: /),
      status: 'error',
      error: { storage: { status: 'down', message: expect.stringMatching(/at or below the floor/) } },
      info: { mysql: { status: 'up' }, redis: { status: 'up' }, dicom: { status: 'up', port: dicomPort } },
    });

    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'OBS0002',
      patientName: 'TEST^FLOOR',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    const sent = await storescu(HOST, dicomPort, 'RVJ_PACS', 'RA7_ELEC', study.files, ['-nh']);
    expect(sent.association).toBe('accepted');
    expect(sent.stores.map((store) => store.status)).toEqual([0xa700, 0xa700]);
    const [{ count }] = (await db.dataSource.query(
      'SELECT COUNT(*) AS count FROM instances i JOIN studies s ON s.id = i.study_id WHERE s.study_instance_uid = ?',
      [study.studyInstanceUid],
    )) as Array<{ count: string | number }>;
    expect(Number(count)).toBe(0);

    await request(monitoring).get('/metrics').expect(401);
    const metrics = await waitFor('the association to be counted', async () => {
      const body = (
        await request(monitoring).get('/metrics').set('Authorization', 'Bearer scrape-token-for-the-test').expect(200)
      ).text;
      return sample(body, 'iehub_associations_total{ending="released"}') === 1 ? body : undefined;
    });
    expect(sample(metrics, 'iehub_instances_received_total{calling_ae="RVJ_PACS",outcome="out-of-resources"}')).toBe(2);
    expect(sample(metrics, 'iehub_instances_received_total{calling_ae="RVJ_PACS",outcome="stored"}')).toBeUndefined();
  }, 150_000);
});
