import { AuditOutcome, AuditService } from '@hub/audit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { storescu } from './support/dcmtk';
import { makeStudy } from './support/dicom-factory';
import { TestHub, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

interface NodeView {
  aeTitle: string;
  trust: string;
  queue: { waiting: number; active: number; delayed: number; failed: number };
  oldestWaiting: { transferId: string; folder: string; state: string; since: string } | null;
  failuresLastHour: number;
}

// The operator's Operations page: with no forwarder running, a routed study waits in its recipient node's
// delivery queue, and the page names it as the transfer waiting longest.
describe('portal: operations overview', () => {
  let hub: TestHub;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-operations-'));
    hub = await startTestHub({ apps: ['receiver', 'router', 'portal'], stableStudySeconds: 1 });
  });

  afterAll(async () => {
    await hub?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows each push node with its queue, its longest-waiting transfer and its failed rounds; operators only', async () => {
    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'OPS0001',
      patientName: 'TEST^OPS',
      series: [{ kind: 'ct', count: 2 }],
    });
    expect((await storescu('127.0.0.1', hub.port, 'RVJ_PACS', 'RA7_EMER', study.files)).stores.length).toBe(2);
    const transferId = await waitFor('a queued transfer', async () => {
      const [row] = (await hub.dataSource.query(
        `SELECT t.id FROM transfers t JOIN studies s ON s.id = t.study_id
          WHERE s.study_instance_uid = ? AND t.state = 'queued'`,
        [study.studyInstanceUid],
      )) as Array<{ id: string }>;
      return row?.id;
    });
    const [ra7Node] = (await hub.dataSource.query(
      `SELECT host, port FROM nodes WHERE ae_title = 'RA7_PACS'`,
    )) as Array<{
      host: string;
      port: number;
    }>;
    await hub.app.get(AuditService).record('delivery-attempted', {
      outcome: AuditOutcome.SeriousFailure,
      actor: { aeTitle: 'IEP_HUB' },
      detail: {
        transferId,
        node: `RA7_PACS@${ra7Node.host}:${ra7Node.port}`,
        instances: 2,
        delivered: 0,
        failed: 2,
        state: 'queued',
        error: 'association rejected',
      },
    });

    const operator = await hub.userSession('ops-operator', 'operator');
    const governance = await hub.userSession('ops-governance', 'governance');
    await request(hub.http!).get('/api/operations').set(governance).expect(403);
    const body = await waitFor('the delivery job in RA7_PACS queue', async () => {
      const response = await request(hub.http!).get('/api/operations').set(operator).expect(200);
      const view = response.body as { nodes: NodeView[]; storage: { freeBytes: number; totalBytes: number } | null };
      return view.nodes.find((node) => node.aeTitle === 'RA7_PACS')!.queue.waiting >= 1 ? view : undefined;
    });
    const ra7 = body.nodes.find((node) => node.aeTitle === 'RA7_PACS')!;
    expect(ra7).toMatchObject({
      trust: 'RA7',
      queue: { active: 0, failed: 0 },
      oldestWaiting: { transferId, folder: 'emergency', state: 'queued' },
      failuresLastHour: 1,
    });
    const rvj = body.nodes.find((node) => node.aeTitle === 'RVJ_PACS')!;
    expect(rvj).toMatchObject({ trust: 'RVJ', oldestWaiting: null, failuresLastHour: 0 });
    // Pull-only and send-only nodes have no delivery queue.
    expect(body.nodes.map((node) => node.aeTitle).sort()).toEqual(['RA7_PACS', 'RVJ_PACS']);
    expect(body.storage!.freeBytes).toBeGreaterThan(0);
    expect(body.storage!.totalBytes).toBeGreaterThanOrEqual(body.storage!.freeBytes);
  });
});
