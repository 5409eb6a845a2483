import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { stringify } from 'yaml';
import { StorescuResult, echoscu, freePort, startStorescp, stopProcess, storescu, waitForPort } from './support/dcmtk';
import { makeStudy } from './support/dicom-factory';
import { TEST_REDIS_URL, TestHubRawConfig, ra7PushNodeAt, specDatabaseUrl, testHubConfig } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';
const RECEIVER_MAIN = path.resolve(__dirname, '..', 'dist', 'apps', 'receiver', 'src', 'main.js');
const HUB_MAIN = path.resolve(__dirname, '..', 'dist', 'apps', 'hub', 'src', 'main.js');
const INSTANCES = 150;
/**
 * The delivery test's study: small, to a PACS that pauses a second after each instance, so the delivery is
 * still running when SIGTERM comes (a quick one can finish between two looks at the transfer).
 * storescp's --sleep-during, which holds the response instead, left the delivery stuck with nothing stored.
 */
const DELIVERED_INSTANCES = 6;

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
}

// SIGTERM to the built receiver (node dist/apps/receiver/src/main.js, as production runs it) while a storescu is
// sending: it stops accepting new associations at once, lets the running one finish (bounded), and exits 0; every
// instance storescu was told is stored is on disk and in the database, and nothing half-written is left.
describe('receiver: graceful shutdown on SIGTERM', () => {
  let work: string;
  let storageDir: string;
  let receiver: ChildProcess | undefined;
  let output = '';

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-shutdown-'));
    storageDir = path.join(work, 'store');
    mkdirSync(storageDir);
  });

  afterAll(async () => {
    if (receiver && receiver.exitCode === null) {
      await stopProcess(receiver);
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('stops accepting first, finishes the running association, exits 0, and leaves nothing half-written', async () => {
    const dicomPort = await freePort();
    const raw = testHubConfig(dicomPort, storageDir, 1) as { hub: Record<string, unknown> } & Record<string, unknown>;
    raw.monitoring = { receiverPort: 0 };
    const configFile = path.join(work, 'hub.yaml');
    writeFileSync(configFile, stringify(raw));
    receiver = spawn(process.execPath, [RECEIVER_MAIN], {
      env: {
        ...process.env,
        HUB_CONFIG: configFile,
        DATABASE_URL: specDatabaseUrl(),
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
        LOG_LEVEL: 'log',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    receiver.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    receiver.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      receiver!.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await waitForPort(dicomPort, 90_000, { pid: receiver.pid, isAlive: () => receiver?.exitCode === null }).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${output}`);
      },
    );

    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'SHUT0001',
      patientName: 'TEST^SHUTDOWN',
      series: [{ kind: 'ct', count: INSTANCES }],
    });
    const db = await createConnection({ uri: specDatabaseUrl() });
    try {
      const stored = async () =>
        Number(
          (
            (await db.query(
              `SELECT COUNT(*) AS n FROM instances i JOIN studies s ON s.id = i.study_id
                WHERE s.study_instance_uid = ?`,
              [study.studyInstanceUid],
            )) as unknown as [Array<{ n: number }>]
          )[0][0].n,
        );
      let sendingDone = false;
      const sending: Promise<StorescuResult> = storescu(HOST, dicomPort, 'RVJ_PACS', 'RA7_EMER', study.files).finally(
        () => (sendingDone = true),
      );
      await waitFor('the first instances stored', async () => ((await stored()) >= 10 ? true : undefined), 60_000);

      const signalledAt = Date.now();
      receiver.kill('SIGTERM');
      // A new association is refused (nothing listens) while the running one goes on.
      await waitFor(
        'the DICOM port closed',
        async () => ((await echoscu(HOST, dicomPort, 'RVJ_PACS', 'RA7_EMER')).ok ? undefined : true),
        10_000,
      );
      expect(sendingDone).toBe(false);

      const sent = await sending;
      const { code, signal } = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      // Bounded: the listener's grace (10 s) plus closing the rest.
      expect(Date.now() - signalledAt).toBeLessThan(30_000);

      expect(sent.stores).toHaveLength(INSTANCES);
      const succeeded = sent.stores.filter((store) => store.status === 0).map((store) => store.sopInstanceUid);
      const failed = sent.stores.filter((store) => store.status !== 0);
      // What storescu was not told is stored was never acknowledged: no response, or a refusal status.
      expect(failed.every((store) => store.status === undefined || store.status >= 0xa700)).toBe(true);
      expect(succeeded.length).toBeGreaterThan(10);

      const [rows] = (await db.query(
        `SELECT i.sop_instance_uid AS uid, i.storage_path AS storagePath, i.size_bytes AS size
           FROM instances i JOIN studies s ON s.id = i.study_id WHERE s.study_instance_uid = ?`,
        [study.studyInstanceUid],
      )) as unknown as [Array<{ uid: string; storagePath: string; size: string | number }>];
      const recorded = new Set(rows.map((row) => row.uid));
      expect(succeeded.filter((uid) => !recorded.has(uid!))).toEqual([]);
      for (const row of rows) {
        expect(statSync(path.join(storageDir, row.storagePath)).size).toBe(Number(row.size));
      }
      // No instance file without its row, and no temp file left behind.
      const paths = new Set(rows.map((row) => path.join(storageDir, row.storagePath)));
      const files = filesUnder(storageDir);
      expect(files.filter((file) => !file.startsWith(path.join(storageDir, 'tmp')) && !paths.has(file))).toEqual([]);
      expect(files.filter((file) => file.startsWith(path.join(storageDir, 'tmp')))).toEqual([]);
    } finally {
      await db.end();
    }
  }, 180_000);
  it('lets the forwarder finish the delivery it is running before the hub exits 0', async () => {
    const outputDir = mkdtempSync(path.join(work, 'pacs-'));
    const pacs = await startStorescp({
      aeTitle: 'RA7_PACS',
      outputDir,
      logLevel: 'quiet',
      extraArgs: ['--sleep-after', '1'],
    });
    const dicomPort = await freePort();
    const raw = testHubConfig(dicomPort, path.join(work, 'hub-store'), 1) as TestHubRawConfig & Record<string, unknown>;
    mkdirSync(path.join(work, 'hub-store'));
    raw.hub.httpPort = await freePort();
    ra7PushNodeAt(pacs.port)(raw);
    const configFile = path.join(work, 'hub-all.yaml');
    writeFileSync(configFile, stringify(raw));
    let hubOutput = '';
    const hub = spawn(process.execPath, [HUB_MAIN], {
      env: {
        ...process.env,
        HUB_CONFIG: configFile,
        DATABASE_URL: specDatabaseUrl(),
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
        LOG_LEVEL: 'log',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    receiver = hub;
    hub.stdout!.on('data', (chunk: Buffer) => (hubOutput += chunk.toString()));
    hub.stderr!.on('data', (chunk: Buffer) => (hubOutput += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      hub.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await waitForPort(dicomPort, 90_000, { pid: hub.pid, isAlive: () => hub.exitCode === null }).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${hubOutput}`);
      },
    );
    // The hub has created and migrated this spec's database by now.
    const db = await createConnection({ uri: specDatabaseUrl() });
    try {
      const study = await makeStudy(path.join(work, 'elective'), {
        patientId: 'SHUT0002',
        patientName: 'TEST^SHUTDOWN^TWO',
        series: [{ kind: 'ct', count: DELIVERED_INSTANCES }],
      });
      // Elective: delivered once the study is complete, in one job of its own.
      const sent = await storescu(HOST, dicomPort, 'RVJ_PACS', 'RA7_ELEC', study.files);
      expect(sent.stores.every((store) => store.status === 0)).toBe(true);
      const transfer = async () =>
        (
          (await db.query(
            `SELECT t.id, t.state, (SELECT COUNT(*) FROM transfer_instances ti
                WHERE ti.transfer_id = t.id AND ti.state = 'delivered') AS delivered
               FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid = ?`,
            [study.studyInstanceUid],
          )) as unknown as [Array<{ id: string; state: string; delivered: number }>]
        )[0][0];
      // SIGTERM while the delivery job is running: some instances at the PACS, not all.
      await waitFor(
        'the delivery under way',
        async () => {
          const row = await transfer();
          return row?.state === 'delivering' && Number(row.delivered) > 0 ? row : undefined;
        },
        60_000,
      );
      hub.kill('SIGTERM');
      const { code, signal } = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      // The job ran to its end: every instance delivered, the transfer settled, nothing left mid-flight.
      const row = await transfer();
      expect({ state: row.state, delivered: Number(row.delivered) }).toEqual({
        state: 'delivered',
        delivered: DELIVERED_INSTANCES,
      });
      expect(filesUnder(outputDir)).toHaveLength(DELIVERED_INSTANCES);
    } finally {
      await db.end();
      await pacs.stop();
    }
  }, 240_000);
});
