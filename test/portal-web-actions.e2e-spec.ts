import { DeliveryService } from '@hub/delivery';
import { TransferSweepService } from '@hub/routing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { freePort, storescu } from './support/dcmtk';
import { GeneratedStudy, makeStudy } from './support/dicom-factory';
import { TestHub, ra7PushNodeAt, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

type Headers = { Authorization: string };

// "Retry now" and "Cancel" through the API: who may (operators, the recipient trust's trust-admin), which states
// allow them (409 otherwise), what they do to the delivery job, and their audit events. RA7's PACS is down
// (nothing listens on its port), so its transfers back off in the forwarder's queue.
describe('portal: retry now and cancel a transfer', () => {
  let hub: TestHub;
  let work: string;
  const users: Record<string, Headers> = {};

  const transferOf = async (study: GeneratedStudy) =>
    waitFor(`the transfer of ${study.studyInstanceUid}`, async () => {
      const [row] = (await hub.dataSource.query(
        `SELECT t.id, t.state, t.attempts FROM transfers t JOIN studies s ON s.id = t.study_id
          WHERE s.study_instance_uid = ?`,
        [study.studyInstanceUid],
      )) as Array<{ id: string; state: string; attempts: number }>;
      return row;
    });
  const transferState = async (id: string) =>
    ((await hub.dataSource.query('SELECT state FROM transfers WHERE id = ?', [id])) as Array<{ state: string }>)[0]
      ?.state;
  const attemptsOf = async (id: string) =>
    Number(
      (
        (await hub.dataSource.query('SELECT attempts FROM transfers WHERE id = ?', [id])) as Array<{ attempts: number }>
      )[0]?.attempts,
    );
  const jobsOf = async (id: string, states: Parameters<TestHub['deliveryJobs']>[0]) =>
    (await hub.deliveryJobs(states)).filter((job) => (job.data as { transferId: string }).transferId === id);
  const auditOf = async (event: string, transferId: string) =>
    (await hub.dataSource.query(
      `SELECT actor_user AS user, actor_address AS address, destination_trust AS recipient, study_instance_uid AS study,
              detail FROM audit_events WHERE event = ? AND JSON_EXTRACT(detail, '$.transferId') = ? ORDER BY id`,
      [event, transferId],
    )) as Array<{ user: string; address: string | null; recipient: string; study: string; detail: unknown }>;
  const send = async (name: string, patientId: string, count: number) => {
    const study = await makeStudy(path.join(work, name), {
      patientId,
      patientName: 'TEST^ACTIONS',
      series: [{ kind: 'ct', count }],
    });
    const sent = await storescu('127.0.0.1', hub.port, 'RVJ_PACS', 'RA7_EMER', study.files);
    expect(sent.stores.map((store) => store.status)).toEqual(new Array(count).fill(0));
    return study;
  };
  const post = (path: string, as: Headers) => request(hub.http!).post(path).set(as);

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-actions-'));
    const deadPort = await freePort();
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder', 'portal'],
      stableStudySeconds: 1,
      configure: ra7PushNodeAt(deadPort),
    });
    users.operator = await hub.userSession('act-operator', 'operator');
    users.governance = await hub.userSession('act-governance', 'governance');
    users.ra7Admin = await hub.userSession('act-admin-ra7', 'trust-admin', 'RA7');
    users.rvjAdmin = await hub.userSession('act-admin-rvj', 'trust-admin', 'RVJ');
    users.ra7Clinician = await hub.userSession('act-clinician-ra7', 'clinician', 'RA7');
  });

  afterAll(async () => {
    await hub?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('lets only operators and the recipient trust-admin act, and runs a backing-off delivery now, audited', async () => {
    const study = await send('backing-off', 'ACT0001', 2);
    const { id } = await transferOf(study);
    // The PACS is down: the delivery failed and its job backs off. Make the wait long, as after a night's outage.
    const [job] = await waitFor('the delivery job backing off', async () => {
      const jobs = await jobsOf(id, ['delayed']);
      return jobs.length === 1 && (await attemptsOf(id)) >= 1 ? jobs : undefined;
    });
    await job.changeDelay(10 * 60_000);
    const attempts = await attemptsOf(id);

    await request(hub.http!).post(`/api/transfers/${id}/retry`).expect(401);
    for (const who of ['governance', 'ra7Clinician', 'rvjAdmin']) {
      for (const action of ['retry', 'cancel']) {
        const refused = await post(`/api/transfers/${id}/${action}`, users[who]).expect(403);
        expect(refused.body).toMatchObject({ statusCode: 403 });
      }
    }
    await post('/api/transfers/not-a-uuid/retry', users.operator).expect(400);
    await post('/api/transfers/00000000-0000-4000-8000-000000000000/retry', users.operator).expect(404);
    expect(await attemptsOf(id)).toBe(attempts);
    expect(await transferState(id)).toBe('queued');

    const retried = await post(`/api/transfers/${id}/retry`, users.ra7Admin).expect(200);
    expect(retried.body).toEqual({ transferId: id, state: 'queued', instancesRequeued: 0, job: 'promoted' });
    // The same job ran at once (not ten minutes later), failed again on the dead port, and backs off again.
    await waitFor('another delivery attempt', async () => ((await attemptsOf(id)) > attempts ? true : undefined));
    expect(await jobsOf(id, ['waiting', 'prioritized', 'active', 'delayed'])).toHaveLength(1);

    const [event] = await auditOf('transfer-retried', id);
    expect(event).toMatchObject({ user: 'act-admin-ra7', recipient: 'RA7', study: study.studyInstanceUid });
    expect(event.address).toMatch(/127\.0\.0\.1/);
    expect(event.detail).toEqual({ transferId: id, previousState: 'queued', instancesRequeued: 0, job: 'promoted' });
  });

  it('cancels a transfer so neither delivery nor the sweep takes it up, and refuses what its state does not allow', async () => {
    const study = await send('cancelled', 'ACT0002', 1);
    const { id } = await transferOf(study);
    await waitFor('the delivery job backing off', async () =>
      (await jobsOf(id, ['delayed'])).length === 1 ? true : undefined,
    );

    const cancelled = await post(`/api/transfers/${id}/cancel`, users.operator).expect(200);
    expect(cancelled.body).toEqual({ transferId: id, state: 'cancelled', previousState: 'queued' });
    expect(await transferState(id)).toBe('cancelled');
    expect(await jobsOf(id, ['waiting', 'prioritized', 'active', 'delayed'])).toHaveLength(0);

    // Nothing takes it up again: the sweep, a delivery job that would still run, a second cancel or a retry.
    await hub.app.get(TransferSweepService).sweep();
    expect(await jobsOf(id, ['waiting', 'prioritized', 'active', 'delayed'])).toHaveLength(0);
    expect(await hub.app.get(DeliveryService).handleDeliverTransfer(id)).toEqual({
      state: 'skipped',
      reason: 'transfer is cancelled',
    });
    expect(await transferState(id)).toBe('cancelled');
    const again = await post(`/api/transfers/${id}/cancel`, users.operator).expect(409);
    expect((again.body as { message: string }).message).toMatch(/is cancelled/);
    const retry = await post(`/api/transfers/${id}/retry`, users.operator).expect(409);
    expect((retry.body as { message: string }).message).toMatch(
      /is cancelled: only a queued, failed or partially delivered transfer can be retried/,
    );
    // The listing and the detail say so.
    const detail = await request(hub.http!).get(`/api/transfers/${id}`).set(users.ra7Admin).expect(200);
    expect(detail.body).toMatchObject({ state: 'cancelled' });
    const listed = await request(hub.http!).get('/api/transfers?state=cancelled').set(users.operator).expect(200);
    expect((listed.body as { items: Array<{ id: string }> }).items.map((row) => row.id)).toEqual([id]);

    const [event] = await auditOf('transfer-cancelled', id);
    expect(event).toMatchObject({ user: 'act-operator', recipient: 'RA7', study: study.studyInstanceUid });
    expect(event.detail).toEqual({ transferId: id, previousState: 'queued' });
  });

  it('retries a failed transfer with the instances the recipient refused, and refuses a delivered one', async () => {
    const study = await send('failed', 'ACT0003', 2);
    const { id } = await transferOf(study);
    await waitFor('the delivery job backing off', async () =>
      (await jobsOf(id, ['delayed'])).length === 1 ? true : undefined,
    );
    // As if the recipient had refused both instances for good: the transfer settled failed, no job left.
    for (const job of await jobsOf(id, ['delayed'])) {
      await job.remove();
    }
    await hub.dataSource.query(
      `UPDATE transfer_instances SET state = 'failed', last_status = ${0xa900} WHERE transfer_id = ?`,
      [id],
    );
    await hub.dataSource.query(`UPDATE transfers SET state = 'failed' WHERE id = ?`, [id]);

    const retried = await post(`/api/transfers/${id}/retry`, users.operator).expect(200);
    expect(retried.body).toEqual({ transferId: id, state: 'queued', instancesRequeued: 2, job: 'queued' });
    await waitFor('a delivery job again', async () =>
      (await jobsOf(id, ['waiting', 'prioritized', 'active', 'delayed'])).length === 1 ? true : undefined,
    );
    const [event] = await auditOf('transfer-retried', id);
    expect(event.detail).toEqual({ transferId: id, previousState: 'failed', instancesRequeued: 2, job: 'queued' });

    // Delivered is final for both actions.
    await waitFor('the delivery job backing off', async () =>
      (await jobsOf(id, ['delayed'])).length === 1 ? true : undefined,
    );
    await hub.dataSource.query(`UPDATE transfers SET state = 'delivered' WHERE id = ?`, [id]);
    const refused = await post(`/api/transfers/${id}/retry`, users.ra7Admin).expect(409);
    expect((refused.body as { message: string }).message).toMatch(/is delivered/);
    const notCancelled = await post(`/api/transfers/${id}/cancel`, users.ra7Admin).expect(409);
    expect((notCancelled.body as { message: string }).message).toMatch(
      /is delivered: only a transfer not yet delivered/,
    );
    expect(await auditOf('transfer-cancelled', id)).toEqual([]);
  });
});
