import { splitPart10 } from '@hub/dicom';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StorescpHandle, startStorescp, storescu } from './support/dcmtk';
import { GeneratedStudy, makeStudy } from './support/dicom-factory';
import { TestHub, ra7PushNodeAt, startTestHub } from './support/test-hub';
import { receivedDatasets } from './support/storescp-output';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';
/** Long enough that every check below happens while the study is still arriving. */
const QUIET_SECONDS = 6;

describe('emergency studies forwarded while they arrive (storescu → hub → storescp)', () => {
  let work: string;
  let hub: TestHub;
  let scp: StorescpHandle;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-stream-'));
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir: mkdtempSync(path.join(work, 'pacs-')) });
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds: QUIET_SECONDS,
      configure: ra7PushNodeAt(scp.port),
    });
  });

  afterAll(async () => {
    await hub?.destroy();
    await scp?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** What the recipient holds: each data set by SOP Instance UID. */
  const received = () => receivedDatasets(scp.outputDir);

  async function exchange(studyInstanceUid: string) {
    const [row] = (await hub.dataSource.query(
      `SELECT s.id AS studyId, s.state AS studyState, t.id AS transferId, t.state AS transferState, t.attempts
         FROM studies s LEFT JOIN transfers t ON t.study_id = s.id WHERE s.study_instance_uid = ?`,
      [studyInstanceUid],
    )) as Array<{
      studyId: string;
      studyState: string;
      transferId: string | null;
      transferState: string | null;
      attempts: number | null;
    }>;
    return row;
  }

  /** Instances the recipient has answered Success for (recorded once its C-STORE-RSP is in). */
  async function deliveredCount(studyInstanceUid: string): Promise<number> {
    const [row] = (await hub.dataSource.query(
      `SELECT COUNT(*) AS n FROM transfer_instances ti JOIN transfers t ON t.id = ti.transfer_id
         JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid = ? AND ti.state = 'delivered'`,
      [studyInstanceUid],
    )) as Array<{ n: string | number }>;
    return Number(row.n);
  }

  function expectSameDataSets(study: GeneratedStudy, datasets: Map<string, Buffer>): void {
    for (const instance of study.series.flatMap((series) => series.instances)) {
      expect(datasets.get(instance.sopInstanceUid)?.equals(splitPart10(readFileSync(instance.path)).dataset)).toBe(
        true,
      );
    }
  }

  it('delivers each part of an emergency study before the study is complete, then settles the transfer', async () => {
    const first = await makeStudy(path.join(work, 'first'), {
      patientId: 'STR0001',
      patientName: 'TEST^STREAM',
      series: [{ kind: 'ct', count: 3 }],
    });
    expect((await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', first.files)).stores.map((s) => s.status)).toEqual([
      0, 0, 0,
    ]);
    // The recipient has the first part while the hub still waits for the rest of the study.
    await waitFor(
      'the first part at the recipient',
      async () => ((await deliveredCount(first.studyInstanceUid)) === 3 ? true : undefined),
      4000,
    );
    expect(await exchange(first.studyInstanceUid)).toMatchObject({
      studyState: 'receiving',
      transferState: 'delivering',
    });
    expectSameDataSets(first, received());

    // A second association adds a series to the same study: it follows the first without waiting either.
    const second = await makeStudy(path.join(work, 'second'), {
      patientId: 'STR0001',
      patientName: 'TEST^STREAM',
      studyInstanceUid: first.studyInstanceUid,
      series: [{ kind: 'mr-small', count: 4 }],
    });
    await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', second.files);
    await waitFor(
      'the second part at the recipient',
      async () => ((await deliveredCount(first.studyInstanceUid)) === 7 ? true : undefined),
      4000,
    );
    const during = await exchange(first.studyInstanceUid);
    expect(during).toMatchObject({ studyState: 'receiving', transferState: 'delivering' });
    expectSameDataSets(second, received());

    // Once complete, the study is routed and the transfer delivered, with nothing sent twice.
    const settled = await waitFor(
      'the transfer to settle',
      async () => {
        const row = await exchange(first.studyInstanceUid);
        return row.transferState === 'delivered' ? row : undefined;
      },
      (QUIET_SECONDS + 10) * 1000,
    );
    expect(settled.studyState).toBe('routed');
    expect(received().size).toBe(7);
    // The settling is audited just after the state changes.
    const events = await waitFor('the settling audited', async () => {
      const rows = (await hub.dataSource.query(
        `SELECT event, outcome, detail FROM audit_events
          WHERE study_instance_uid = ? AND event IN ('study-routed', 'study-completed', 'delivery-attempted', 'delivery-finished')
          ORDER BY id`,
        [first.studyInstanceUid],
      )) as Array<{ event: string; outcome: number; detail: Record<string, unknown> }>;
      return rows.at(-1)?.event === 'delivery-finished' ? rows : undefined;
    });
    expect(events[0]).toMatchObject({ event: 'study-routed', detail: { whileReceiving: true } });
    const rounds = events.filter((event) => event.event === 'delivery-attempted');
    expect(rounds.length).toBe(settled.attempts);
    expect(rounds.every((round) => round.outcome === 0 && round.detail.whileReceiving === true)).toBe(true);
    expect(rounds.reduce((sum, round) => sum + Number(round.detail.instances), 0)).toBe(7);
    expect(events.findIndex((event) => event.event === 'study-completed')).toBeGreaterThan(
      events.indexOf(rounds.at(-1)!),
    );
    expect(events.at(-1)).toMatchObject({
      event: 'delivery-finished',
      outcome: 0,
      detail: { transferId: settled.transferId, delivered: 7, failed: 0, state: 'delivered' },
    });
  });

  it('forwards a study arriving over one association over one association of its own', async () => {
    const study = await makeStudy(path.join(work, 'one-go'), {
      patientId: 'STR0003',
      patientName: 'TEST^STREAM',
      series: [{ kind: 'ct', count: 30 }],
    });
    const associationsBefore = scp.log().match(/Association Received/g)?.length ?? 0;
    await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files);
    // Delivery starts with the first instance and takes the rest as they are stored, on the same association.
    await waitFor(
      'the study at the recipient',
      async () => ((await deliveredCount(study.studyInstanceUid)) === 30 ? true : undefined),
      10_000,
    );
    expect((await exchange(study.studyInstanceUid)).studyState).toBe('receiving');
    expectSameDataSets(study, received());
    const rounds = await waitFor('the association audited', async () => {
      const rows = (await hub.dataSource.query(
        `SELECT detail FROM audit_events WHERE study_instance_uid = ? AND event = 'delivery-attempted'`,
        [study.studyInstanceUid],
      )) as Array<{ detail: Record<string, unknown> }>;
      return rows.length > 0 ? rows : undefined;
    });
    expect(rounds.map((round) => round.detail)).toEqual([
      expect.objectContaining({ instances: 30, delivered: 30, failed: 0, whileReceiving: true }),
    ]);
    expect(scp.log().match(/Association Received/g)?.length).toBe(associationsBefore + 1);
  });

  it('holds an elective study until it is complete, then sends it whole', async () => {
    const study = await makeStudy(path.join(work, 'elective'), {
      patientId: 'STR0002',
      patientName: 'TEST^ELECTIVE',
      series: [{ kind: 'mr-small', count: 3 }],
    });
    const before = received().size;
    await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_ELEC', study.files);
    // Well inside the quiet period: no transfer yet, nothing at the recipient.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await exchange(study.studyInstanceUid)).toMatchObject({ studyState: 'receiving', transferId: null });
    expect(received().size).toBe(before);

    const settled = await waitFor(
      'the elective delivery',
      async () => {
        const row = await exchange(study.studyInstanceUid);
        return row.transferState === 'delivered' ? row : undefined;
      },
      (QUIET_SECONDS + 10) * 1000,
    );
    expect(settled).toMatchObject({ studyState: 'routed', attempts: 1 });
    expectSameDataSets(study, received());
  });
});
