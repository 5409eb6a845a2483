import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { StorescpHandle, freePort, startStorescp, stopProcess, storescu, waitForPort } from './support/dcmtk';
import { makeStudy } from './support/dicom-factory';
import { TestHub, ra7PushNodeAt, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';
const PATIENT_NAME = 'LOGPRIVACY^SECRETNAME';
const PATIENT_ID = 'LOGPRIV0042';

/**
 * The hub as `npm start` runs it (all apps in one process), at the most verbose log level, moving a study
 * with a patient name and ID that appear nowhere else: not one line it logs may carry either. Its stdout is
 * not a terminal, so every line is pino's JSON, the DICOM library's and the HTTP requests' included.
 */
describe('application logs name no patient (the whole hub as one process, storescu, storescp)', () => {
  it('logs the study going through at debug level without its patient name or ID', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-logs-'));
    let scp: StorescpHandle | undefined;
    let hubProcess: ChildProcess | undefined;
    // Only the database (created and migrated for this spec) comes from the in-process helper.
    const db: TestHub = await startTestHub({ apps: [] });
    try {
      scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir: mkdtempSync(path.join(work, 'pacs-')) });
      const dicomPort = await freePort();
      const httpPort = await freePort();
      const raw = db.rawConfig;
      ra7PushNodeAt(scp.port)(raw);
      const configFile = path.join(work, 'hub.yaml');
      writeFileSync(
        configFile,
        stringify({
          ...raw,
          hub: { ...raw.hub, dicomPort, httpPort, stableStudySeconds: 1, storageDir: db.storageDir },
        }),
      );
      let output = '';
      let stdout = '';
      hubProcess = spawn(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/hub/src/main.ts'],
        {
          cwd: path.join(__dirname, '..'),
          env: {
            ...process.env,
            HUB_CONFIG: configFile,
            DATABASE_URL: db.databaseUrl,
            QUEUE_PREFIX: db.queuePrefix,
            LOG_LEVEL: 'verbose',
          },
        },
      );
      hubProcess.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        stdout += chunk.toString();
      });
      hubProcess.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const running = hubProcess;
      await waitForPort(dicomPort, 90_000, { pid: running.pid, isAlive: () => running.exitCode === null });

      const study = await makeStudy(path.join(work, 'study'), {
        patientId: PATIENT_ID,
        patientName: PATIENT_NAME,
        series: [{ kind: 'mr-small', count: 3 }],
      });
      const sent = await storescu(HOST, dicomPort, 'RVJ_PACS', 'RA7_ELEC', study.files);
      expect(sent.stores.map((store) => store.status)).toEqual([0, 0, 0]);
      const outputDir = scp.outputDir;
      await waitFor(
        'delivery to the recipient',
        () =>
          Promise.resolve(
            readdirSync(outputDir).filter((name) => !name.startsWith('.')).length === 3 ? true : undefined,
          ),
        60_000,
      );
      await waitFor('the delivery to be logged', () =>
        Promise.resolve(output.includes('delivered') ? true : undefined),
      );

      // A request whose path carries the patient ID (refused without a session) is logged by its route.
      const refused = await fetch(`http://${HOST}:${httpPort}/api/audit/patients/${PATIENT_ID}/access`);
      expect(refused.status).toBe(401);
      await waitFor('the refused request to be logged', () =>
        Promise.resolve(output.includes('"route":"/api/audit/patients/:patientId/access"') ? true : undefined),
      );

      // The log is not empty: it follows the study by its UID, at debug level.
      expect(output).toContain(study.studyInstanceUid);
      // Every line on stdout is one JSON object from pino, naming its app and level.
      const entries = stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(entries.length).toBeGreaterThan(10);
      expect(entries.every((entry) => entry.app === 'hub' && typeof entry.level === 'string')).toBe(true);
      // One line for the association, with its counts, rather than one per instance.
      const associations = entries.filter((entry) => entry.callingAe === 'RVJ_PACS' && entry.calledAe === 'RA7_ELEC');
      expect(associations).toEqual([
        expect.objectContaining({
          address: '127.0.0.1',
          instances: 3,
          refused: 0,
          outcome: 'released',
          bytes: expect.any(Number),
          durationMs: expect.any(Number),
        }),
      ]);
      expect(entries).toContainEqual(
        expect.objectContaining({ method: 'GET', route: '/api/audit/patients/:patientId/access', level: 'info' }),
      );
      const lines = output.split('\n');
      const leaks = lines.filter(
        (line) => line.includes(PATIENT_ID) || line.toUpperCase().includes('SECRETNAME') || line.includes('LOGPRIVACY'),
      );
      expect(leaks).toEqual([]);
    } finally {
      if (hubProcess) {
        await stopProcess(hubProcess);
      }
      await scp?.stop();
      await db.destroy();
      rmSync(work, { recursive: true, force: true });
    }
  }, 180_000);
});
