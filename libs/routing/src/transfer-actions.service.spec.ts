import { ConflictException, ForbiddenException, NotFoundException } from '@nestjs/common';
import { CurrentUser } from '@hub/accounts';
import { AuditService } from '@hub/audit';
import { NodeRepository, StudyRepository, Transfer, TransferRepository, TransferState } from '@hub/db';
import { StudyQueueProducer } from '@hub/queue';
import { RoutingService } from './routing.service';
import { TransferActionsService } from './transfer-actions.service';

const TRUSTS = new Map([
  ['trust-rvj', 'RVJ'],
  ['trust-ra7', 'RA7'],
]);

function setUp(state: TransferState, options: { jobState?: string; pushNode?: boolean } = {}) {
  const transfer = {
    id: 't1',
    studyId: 's1',
    senderTrustId: 'trust-rvj',
    recipientTrustId: 'trust-ra7',
    folder: 'emergency',
    state,
  } as Transfer;
  const job = options.jobState
    ? {
        getState: jest.fn().mockResolvedValue(options.jobState),
        promote: jest.fn().mockResolvedValue(undefined),
        remove: jest.fn().mockResolvedValue(undefined),
      }
    : undefined;
  const deliveryQueue = {
    getDeduplicationJobId: jest.fn().mockResolvedValue(job ? 'job-1' : null),
    getJob: jest.fn().mockResolvedValue(job),
  };
  const transfers = {
    getById: jest.fn().mockResolvedValue(transfer),
    transition: jest.fn().mockResolvedValue(true),
    requeueFailedInstances: jest.fn().mockResolvedValue(2),
  };
  const nodes = {
    getPushNodes: jest.fn().mockResolvedValue(options.pushNode === false ? [] : [{ id: 'n1', maxAssociations: 2 }]),
  };
  const queue = { deliveryQueueFor: jest.fn().mockReturnValue(deliveryQueue), scheduleDelivery: jest.fn() };
  const audit = { record: jest.fn() };
  const service = new TransferActionsService(
    transfers as unknown as TransferRepository,
    { getById: jest.fn().mockResolvedValue(null) } as unknown as StudyRepository,
    nodes as unknown as NodeRepository,
    { trustCodes: jest.fn().mockResolvedValue(TRUSTS) } as unknown as RoutingService,
    queue as unknown as StudyQueueProducer,
    audit as unknown as AuditService,
  );
  return { service, transfers, queue, audit, job };
}

const user = (role: CurrentUser['role'], trustCode: string | null = null): CurrentUser => ({
  id: 'u',
  username: `${role}-${trustCode ?? 'hub'}`,
  role,
  trustCode,
});

describe('TransferActionsService', () => {
  it('lets the recipient trust-admin act, not the sender trust-admin, nor another trust', async () => {
    const { service, transfers } = setUp('failed');
    await expect(service.retryNow({ user: user('trust-admin', 'RVJ') }, 't1')).rejects.toThrow(ForbiddenException);
    await expect(service.cancel({ user: user('trust-admin', 'RBA') }, 't1')).rejects.toThrow(ForbiddenException);
    await expect(service.cancel({ user: user('governance') }, 't1')).rejects.toThrow(ForbiddenException);
    expect(transfers.transition).not.toHaveBeenCalled();
    await expect(service.retryNow({ user: user('trust-admin', 'RA7') }, 't1')).resolves.toMatchObject({
      state: 'queued',
    });
  });

  it('says 404 for a transfer that is not there', async () => {
    const { service, transfers } = setUp('queued');
    transfers.getById.mockResolvedValue(null);
    await expect(service.retryNow({ user: user('operator') }, 't1')).rejects.toThrow(NotFoundException);
  });

  it.each<TransferState>(['delivered', 'delivering', 'suspended', 'awaiting-pull', 'expired', 'cancelled'])(
    'refuses to retry a %s transfer with 409, touching nothing',
    async (state) => {
      const { service, transfers, queue, audit } = setUp(state, { jobState: 'delayed' });
      await expect(service.retryNow({ user: user('operator') }, 't1')).rejects.toThrow(ConflictException);
      expect(transfers.requeueFailedInstances).not.toHaveBeenCalled();
      expect(queue.scheduleDelivery).not.toHaveBeenCalled();
      expect(audit.record).not.toHaveBeenCalled();
    },
  );

  it('refuses to retry when the recipient has no push node', async () => {
    const { service } = setUp('failed', { pushNode: false });
    await expect(service.retryNow({ user: user('operator') }, 't1')).rejects.toThrow(/no push node/);
  });

  it('promotes a delivery job that backs off instead of adding a second one', async () => {
    const { service, queue, job, transfers, audit } = setUp('queued', { jobState: 'delayed' });
    const result = await service.retryNow({ user: user('operator'), address: '10.0.0.9' }, 't1');
    expect(result).toEqual({ transferId: 't1', state: 'queued', instancesRequeued: 2, job: 'promoted' });
    expect(job!.promote).toHaveBeenCalled();
    expect(queue.scheduleDelivery).not.toHaveBeenCalled();
    // Already queued: no state change needed.
    expect(transfers.transition).not.toHaveBeenCalled();
    expect(audit.record).toHaveBeenCalledWith(
      'transfer-retried',
      expect.objectContaining({
        actor: { user: 'operator-hub', address: '10.0.0.9' },
        destinationTrust: 'RA7',
        detail: { transferId: 't1', previousState: 'queued', instancesRequeued: 2, job: 'promoted' },
      }),
    );
  });

  it('queues a failed transfer again and adds its job when none is left', async () => {
    const { service, queue, transfers } = setUp('partially-delivered');
    const result = await service.retryNow({ user: user('operator') }, 't1');
    expect(result.job).toBe('queued');
    expect(transfers.transition).toHaveBeenCalledWith('t1', ['failed', 'partially-delivered'], 'queued');
    expect(queue.scheduleDelivery).toHaveBeenCalledWith(expect.objectContaining({ id: 't1' }), {
      id: 'n1',
      maxAssociations: 2,
    });
  });

  it('leaves a job that is waiting or running alone', async () => {
    for (const [jobState, said] of [
      ['waiting', 'already-waiting'],
      ['prioritized', 'already-waiting'],
      ['active', 'running'],
    ]) {
      const { service, queue, job } = setUp('queued', { jobState });
      expect((await service.retryNow({ user: user('operator') }, 't1')).job).toBe(said);
      expect(job!.promote).not.toHaveBeenCalled();
      expect(queue.scheduleDelivery).not.toHaveBeenCalled();
    }
  });

  it('cancels and removes a waiting job, but not a running one', async () => {
    const waiting = setUp('queued', { jobState: 'delayed' });
    await expect(waiting.service.cancel({ user: user('operator') }, 't1')).resolves.toEqual({
      transferId: 't1',
      state: 'cancelled',
      previousState: 'queued',
    });
    expect(waiting.job!.remove).toHaveBeenCalled();
    const running = setUp('delivering', { jobState: 'active' });
    await running.service.cancel({ user: user('operator') }, 't1');
    expect(running.job!.remove).not.toHaveBeenCalled();
    expect(running.audit.record).toHaveBeenCalledWith(
      'transfer-cancelled',
      expect.objectContaining({ detail: { transferId: 't1', previousState: 'delivering' } }),
    );
  });

  it.each<TransferState>(['delivered', 'expired', 'cancelled'])('refuses to cancel a %s transfer', async (state) => {
    const { service, transfers, audit } = setUp(state);
    await expect(service.cancel({ user: user('operator') }, 't1')).rejects.toThrow(ConflictException);
    expect(transfers.transition).not.toHaveBeenCalled();
    expect(audit.record).not.toHaveBeenCalled();
  });
});
