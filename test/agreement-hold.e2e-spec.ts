import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TransferSweepService } from '@hub/routing';
import { storescu } from './support/dcmtk';
import { makeStudy } from './support/dicom-factory';
import { TestHub, TestHubRawConfig, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';

/** RVJ → RA7 with the agreement as the test sets it: in force, suspended, or lapsed. */
function agreement(state: 'active' | 'suspended' | 'lapsed') {
  return (raw: TestHubRawConfig) => {
    raw.agreements = [
      {
        from: 'RVJ',
        to: 'RA7',
        folders: ['emergency', 'elective'],
        ...(state === 'suspended' ? { suspended: true } : {}),
        ...(state === 'lapsed' ? { activeUntil: '2020-01-01T00:00:00Z' } : {}),
      },
    ];
  };
}

describe('a queued delivery whose agreement stops, then comes back', () => {
  let work: string;
  let storageDir: string;
  let queuePrefix: string;
  let transferId: string;
  let hub: TestHub | undefined;

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-hold-'));
  });

  afterAll(async () => {
    await hub?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  async function restartWith(state: 'active' | 'suspended' | 'lapsed'): Promise<TestHub> {
    await hub?.stop();
    hub = await startTestHub({
      apps: ['router'],
      stableStudySeconds: 1,
      storageDir,
      queuePrefix,
      configure: agreement(state),
    });
    await hub.app.get(TransferSweepService).sweep();
    return hub;
  }

  async function transferState(): Promise<string> {
    const [row] = (await hub!.dataSource.query('SELECT state FROM transfers WHERE id = ?', [transferId])) as Array<{
      state: string;
    }>;
    return row.state;
  }

  async function holdEvents(event: string): Promise<number> {
    const rows = (await hub!.dataSource.query(
      `SELECT id FROM audit_events WHERE event = ? AND JSON_EXTRACT(detail, '$.transferId') = ?`,
      [event, transferId],
    )) as unknown[];
    return rows.length;
  }

  it('is held while the agreement is suspended or lapsed, and goes again when it is back in force', async () => {
    const first = await startTestHub({
      apps: ['receiver', 'router'],
      stableStudySeconds: 1,
      configure: agreement('active'),
    });
    hub = first;
    storageDir = first.storageDir;
    queuePrefix = first.queuePrefix;
    const study = await makeStudy(work, {
      patientId: 'HOLD0001',
      patientName: 'TEST^HOLD',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    expect((await storescu(HOST, first.port, 'RVJ_PACS', 'RA7_EMER', study.files)).stores.map((s) => s.status)).toEqual(
      [0, 0],
    );
    transferId = await waitFor('the study to be routed', async () => {
      const [row] = (await first.dataSource.query(
        `SELECT t.id FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid = ?`,
        [study.studyInstanceUid],
      )) as Array<{ id: string }>;
      return row?.id;
    });
    expect(await transferState()).toBe('queued');

    await restartWith('suspended');
    expect(await transferState()).toBe('suspended');
    expect(await holdEvents('transfer-suspended')).toBe(1);

    await restartWith('active');
    expect(await transferState()).toBe('queued');
    expect(await holdEvents('transfer-resumed')).toBe(1);
    const deliveries = await hub!.deliveryJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed']);
    expect(deliveries.map((job) => (job.data as { transferId: string }).transferId)).toContain(transferId);

    await restartWith('lapsed');
    expect(await transferState()).toBe('suspended');
    expect(await holdEvents('transfer-suspended')).toBe(2);
  });
});
