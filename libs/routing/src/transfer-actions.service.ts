import { ConflictException, ForbiddenException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { CurrentUser, mayAccessExchange, mayManageTransfer } from '@hub/accounts';
import { AuditOutcome, AuditService } from '@hub/audit';
import { NodeRepository, StudyRepository, Transfer, TransferRepository, TransferState } from '@hub/db';
import { StudyQueueProducer, jobKeys } from '@hub/queue';
import { RoutingService } from './routing.service';
import { studySubject } from './study-subject';

/** A person acting through the portal, as the audit trail names them. */
export interface TransferActionCaller {
  user: CurrentUser;
  address?: string;
}

/** Waiting on backoff, or settled without every instance delivered: what "Retry now" may send again. */
export const RETRYABLE_TRANSFER_STATES: TransferState[] = ['queued', 'failed', 'partially-delivered'];

/** Everything not delivered, expired or already cancelled. */
export const CANCELLABLE_TRANSFER_STATES: TransferState[] = [
  'queued',
  'delivering',
  'failed',
  'partially-delivered',
  'awaiting-pull',
  'suspended',
];

/** What happened to the transfer's delivery job on "Retry now". */
export type RetryJob = 'promoted' | 'queued' | 'already-waiting' | 'running';

export interface TransferRetryView {
  transferId: string;
  state: TransferState;
  /** Instances the recipient had refused, made pending again. */
  instancesRequeued: number;
  job: RetryJob;
}

export interface TransferCancelView {
  transferId: string;
  state: TransferState;
  previousState: TransferState;
}

/**
 * "Retry now" and "Cancel" on a transfer, for operators and the recipient trust's trust-admin, each
 * audited with the user and address. Retry makes the instances the recipient refused pending again (the
 * person retrying says the refusal may be fixed) and runs the delivery job now: a job backing off is
 * promoted, a missing one added. Cancel moves the transfer to `cancelled`, which delivery, the sweep and
 * late instances all leave alone; its files go at expiry.
 */
@Injectable()
export class TransferActionsService {
  private readonly logger = new Logger(TransferActionsService.name);

  constructor(
    private readonly transfers: TransferRepository,
    private readonly studies: StudyRepository,
    private readonly nodes: NodeRepository,
    private readonly routing: RoutingService,
    private readonly queue: StudyQueueProducer,
    private readonly audit: AuditService,
  ) {}

  async retryNow(caller: TransferActionCaller, transferId: string): Promise<TransferRetryView> {
    const { transfer, codes } = await this.getManageable(caller, transferId);
    if (!RETRYABLE_TRANSFER_STATES.includes(transfer.state)) {
      throw new ConflictException(
        `transfer ${transferId} is ${transfer.state}: only a queued, failed or partially delivered transfer can be retried`,
      );
    }
    const [node] = await this.nodes.getPushNodes(transfer.recipientTrustId);
    if (!node) {
      throw new ConflictException(`transfer ${transferId}: the recipient has no push node to deliver to`);
    }
    if (
      transfer.state !== 'queued' &&
      !(await this.transfers.transition(transfer.id, ['failed', 'partially-delivered'], 'queued'))
    ) {
      const now = await this.transfers.getById(transfer.id);
      throw new ConflictException(`transfer ${transferId} is now ${now?.state ?? 'gone'}; nothing was retried`);
    }
    // Before the job runs, so its delivery finds them pending.
    const instancesRequeued = await this.transfers.requeueFailedInstances(transfer.id);
    const job = await this.runDeliveryNow(transfer, node);
    await this.audit.record('transfer-retried', {
      outcome: AuditOutcome.Success,
      ...(await this.subject(caller, transfer, codes)),
      detail: { transferId: transfer.id, previousState: transfer.state, instancesRequeued, job },
    });
    this.logger.log(`transfer ${transfer.id}: retried now by ${caller.user.username} (${job})`);
    return { transferId: transfer.id, state: 'queued', instancesRequeued, job };
  }

  async cancel(caller: TransferActionCaller, transferId: string): Promise<TransferCancelView> {
    const { transfer, codes } = await this.getManageable(caller, transferId);
    if (
      !CANCELLABLE_TRANSFER_STATES.includes(transfer.state) ||
      !(await this.transfers.transition(transfer.id, CANCELLABLE_TRANSFER_STATES, 'cancelled'))
    ) {
      const now = (await this.transfers.getById(transfer.id))?.state ?? transfer.state;
      throw new ConflictException(
        `transfer ${transferId} is ${now}: only a transfer not yet delivered, expired or cancelled can be cancelled`,
      );
    }
    // A job waiting or backing off goes now; one running finds the transfer cancelled and stops (an arriving
    // study's rounds at their next look, any other delivery after the instances it already has in hand).
    const [node] = await this.nodes.getPushNodes(transfer.recipientTrustId);
    if (node) {
      const job = await this.deliveryJob(node.id, transfer.id);
      if (job && ['waiting', 'prioritized', 'delayed'].includes(await job.getState())) {
        await job.remove().catch((error: Error) => {
          this.logger.log(`transfer ${transfer.id}: its delivery job started as it was cancelled (${error.message})`);
        });
      }
    }
    await this.audit.record('transfer-cancelled', {
      outcome: AuditOutcome.Success,
      ...(await this.subject(caller, transfer, codes)),
      detail: { transferId: transfer.id, previousState: transfer.state },
    });
    this.logger.log(`transfer ${transfer.id}: cancelled by ${caller.user.username} (was ${transfer.state})`);
    return { transferId: transfer.id, state: 'cancelled', previousState: transfer.state };
  }

  /**
   * The transfer's delivery job runs now. Jobs are deduplicated by transfer while they exist, so adding one
   * while another backs off would be ignored: a delayed one is promoted instead, and only a missing one added.
   */
  private async runDeliveryNow(transfer: Transfer, node: { id: string; maxAssociations: number }): Promise<RetryJob> {
    const job = await this.deliveryJob(node.id, transfer.id);
    const state = job ? await job.getState() : 'unknown';
    if (job && state === 'delayed') {
      try {
        await job.promote();
        return 'promoted';
      } catch (error) {
        // It left the delayed set in between: it is running or waiting now, which is what was asked.
        const after = await job.getState();
        if (after === 'delayed') {
          throw error;
        }
        return after === 'active' ? 'running' : 'already-waiting';
      }
    }
    if (state === 'active') {
      return 'running';
    }
    if (state === 'waiting' || state === 'prioritized') {
      return 'already-waiting';
    }
    await this.queue.scheduleDelivery(transfer, node);
    return 'queued';
  }

  private async deliveryJob(nodeId: string, transferId: string) {
    const queue = this.queue.deliveryQueueFor(nodeId);
    const jobId = await queue.getDeduplicationJobId(jobKeys.deliverTransfer(transferId));
    return jobId ? await queue.getJob(jobId) : undefined;
  }

  private async getManageable(caller: TransferActionCaller, transferId: string) {
    const transfer = await this.transfers.getById(transferId);
    if (!transfer) {
      throw new NotFoundException(`no transfer ${transferId}`);
    }
    const codes = await this.routing.trustCodes();
    const exchange = {
      sender: codes.get(transfer.senderTrustId) ?? '',
      recipient: codes.get(transfer.recipientTrustId) ?? '',
    };
    if (!mayAccessExchange(caller.user, exchange)) {
      throw new ForbiddenException(`transfer ${transferId} is not one of your trust's`);
    }
    if (!mayManageTransfer(caller.user, exchange)) {
      throw new ForbiddenException(`only an operator or ${exchange.recipient}'s trust-admin may act on this transfer`);
    }
    return { transfer, codes };
  }

  /** The study's participants (patient, study, trusts) and the person acting, for the timeline and governance. */
  private async subject(caller: TransferActionCaller, transfer: Transfer, codes: Map<string, string>) {
    const actor = { user: caller.user.username, address: caller.address };
    const study = await this.studies.getById(transfer.studyId);
    return study
      ? studySubject(study, codes, actor)
      : {
          actor,
          sourceTrust: codes.get(transfer.senderTrustId),
          destinationTrust: codes.get(transfer.recipientTrustId),
        };
  }
}
