import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import {
  DicomNode,
  NamedLockRepository,
  NodeRepository,
  PendingInstance,
  Study,
  StudyRepository,
  Transfer,
  TransferRepository,
  Trust,
  TrustRepository,
} from '@hub/db';
import { isStoredStatus, scuTargetFor, wasAnswered } from '@hub/dicom';
import { DeliveryOutcomeLabel, HubMetrics } from '@hub/observability';
import { RoutingService } from '@hub/routing';
import { StorageService } from '@hub/storage';
import { UnrecoverableError } from 'bullmq';
import { ARRIVING_FEED_TIMING, ArrivingFeed } from './arriving-feed';
import { sendAndRecord } from './send-and-record';

/** Who and what a delivery's audit events name. */
interface DeliverySubject {
  actor: { aeTitle: string };
  sourceTrust?: string;
  destinationTrust?: string;
  patientId?: string;
  studyInstanceUid: string;
}

/** How soon a delivery that found its node's every association taken looks again (no attempt spent). */
const NODE_BUSY_RETRY_MS = 500;

export type DeliveryResult =
  | { state: 'delivered' | 'partially-delivered' | 'failed'; delivered: number; failed: number }
  /** The study is still arriving: run again in nextRoundInMs for what arrives meanwhile. */
  | { state: 'arriving'; delivered: number; nextRoundInMs: number }
  | { state: 'skipped'; reason: string }
  /** Every association the node allows is in use by some forwarder: try again in retryInMs. */
  | { state: 'node-busy'; retryInMs: number };

/**
 * While a study arrives, its delivery runs in rounds: each opens one association for what arrived
 * since the last and keeps it open for what is stored meanwhile (ArrivingFeed). A round that sent
 * something is followed at once; one that found nothing waits this long before looking again, so the
 * recipient is at most a fraction of a second behind the sender, and a study that pauses costs a few
 * queries per look.
 */
export const ARRIVING_ROUND_MS = 150;

/** DIMSE statuses a later attempt may turn into success: out of resources (A7xx). */

/**
 * Pushes a queued transfer to the recipient's push node over one association, byte for byte, and
 * records each instance's outcome. A transient failure (no connection, transient rejection, 0xA7xx)
 * throws so the queue retries with backoff; a permanent rejection fails the transfer without a retry
 * storm. Delivered instances are skipped on a rerun.
 *
 * A transfer filed while its study still arrives (forwardWhileReceiving) is delivered in rounds: each
 * joins the instances stored since the last, sends those not yet sent and, on the same association,
 * those stored while it sends. The transfer stays `delivering` until the study is routed (complete, its
 * last instances joined); then a last round sends everything still undelivered and settles the state as
 * for any delivery.
 */
@Injectable()
export class DeliveryService {
  private readonly logger = new Logger(DeliveryService.name);

  constructor(
    private readonly transfers: TransferRepository,
    private readonly studies: StudyRepository,
    private readonly nodes: NodeRepository,
    private readonly trusts: TrustRepository,
    private readonly storage: StorageService,
    private readonly routing: RoutingService,
    private readonly audit: AuditService,
    private readonly locks: NamedLockRepository,
    private readonly metrics: HubMetrics,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async handleDeliverTransfer(transferId: string, now = new Date()): Promise<DeliveryResult> {
    const transfer = await this.transfers.getById(transferId);
    if (!transfer || (transfer.state !== 'queued' && transfer.state !== 'delivering')) {
      return { state: 'skipped', reason: transfer ? `transfer is ${transfer.state}` : 'no such transfer' };
    }
    const study = await this.studies.getById(transfer.studyId);
    if (!study) {
      return { state: 'skipped', reason: 'no such study' };
    }
    const { decision } = await this.routing.checkAgreement(study, now);
    if (!decision.allowed) {
      // The sweep audits the hold and resumes it when the agreement is back.
      await this.transfers.transition(transfer.id, ['queued', 'delivering'], 'suspended', {
        lastError: decision.reason,
      });
      return { state: 'skipped', reason: decision.reason };
    }
    const [node] = await this.nodes.getPushNodes(transfer.recipientTrustId);
    if (!node) {
      await this.transfers.transition(transfer.id, ['queued', 'delivering'], 'awaiting-pull');
      return { state: 'skipped', reason: 'the recipient has no push node' };
    }
    // Complete but not yet routed counts as arriving: the router joins the last instances, then routes.
    const arriving = study.state === 'receiving' || study.state === 'complete';
    if (arriving) {
      await this.transfers.addStudyInstances(transfer.id, study.id);
    }
    const pending = await this.transfers.getUndelivered(transfer.id, { notYetSent: arriving });
    if (arriving && pending.length === 0) {
      await this.transfers.transition(transfer.id, ['queued'], 'delivering');
      return { state: 'arriving', delivered: 0, nextRoundInMs: ARRIVING_ROUND_MS };
    }
    const [sender, recipient] = await Promise.all([
      this.trusts.getById(transfer.senderTrustId),
      this.trusts.getById(transfer.recipientTrustId),
    ]);
    const subject: DeliverySubject = {
      actor: { aeTitle: this.config.hub.aeTitle },
      sourceTrust: sender?.code,
      destinationTrust: recipient?.code,
      patientId: study.patientId ?? undefined,
      studyInstanceUid: study.studyInstanceUid,
    };
    if (pending.length === 0) {
      // The rounds while the study arrived sent everything: settle the transfer without an association.
      const { delivered, total } = await this.transfers.countByState(transfer.id);
      const state = delivered === total ? 'delivered' : delivered > 0 ? 'partially-delivered' : 'failed';
      await this.transfers.transition(
        transfer.id,
        ['queued', 'delivering'],
        state,
        state === 'delivered' ? { deliveredAt: now, lastError: null } : {},
      );
      await this.audit.record('delivery-finished', {
        outcome: state === 'delivered' ? AuditOutcome.Success : AuditOutcome.MinorFailure,
        ...subject,
        detail: {
          transferId: transfer.id,
          node: `${node.aeTitle}@${node.host}:${node.port}`,
          delivered,
          failed: total - delivered,
          state,
        },
      });
      this.metrics.deliveryFinished(node.aeTitle, state, { delivered: 0, refused: 0 });
      return { state, delivered, failed: total - delivered };
    }
    // The node's limit across every forwarder, kept in MySQL: BullMQ's global concurrency holds it while
    // Redis remembers its active jobs, and this holds it when Redis was flushed or restarted under them.
    const releaseSlot = await this.locks.tryTakeSlot(`iehub_node_${node.id}`, node.maxAssociations);
    if (!releaseSlot) {
      return { state: 'node-busy', retryInMs: NODE_BUSY_RETRY_MS };
    }
    try {
      return await this.sendOver({ transfer, study, node, pending, arriving, sender, recipient, subject, now });
    } finally {
      await releaseSlot();
    }
  }

  /** One association to the node: sends what is pending, records the answers, settles the transfer. */
  private async sendOver({
    transfer,
    study,
    node,
    pending,
    arriving,
    sender,
    recipient,
    subject,
    now,
  }: {
    transfer: Transfer;
    study: Study;
    node: DicomNode;
    pending: PendingInstance[];
    arriving: boolean;
    sender: Trust | null;
    recipient: Trust | null;
    subject: DeliverySubject;
    now: Date;
  }): Promise<DeliveryResult> {
    const context = {
      sender: { code: sender?.code ?? '', patientIdIssuer: sender?.patientIdIssuer ?? '' },
      recipient: { code: recipient?.code ?? '' },
    };
    await this.transfers.transition(transfer.id, ['queued'], 'delivering');
    await this.transfers.countAttempt(transfer.id);

    const toStored = (instance: PendingInstance) => ({
      id: instance.id,
      sopClassUid: instance.sopClassUid,
      sopInstanceUid: instance.sopInstanceUid,
      transferSyntaxUid: instance.transferSyntaxUid,
      path: this.storage.absolute(instance.storagePath),
    });
    // While the study arrives, the association stays open for what is stored meanwhile. Either way the
    // answers are recorded as they come (a crash then re-sends only what was answered since the last commit).
    const feed = arriving
      ? new ArrivingFeed(this.transfers, transfer, pending, toStored, async () => {
          const { decision: current } = await this.routing.checkAgreement(study, new Date());
          return current.allowed ? undefined : current.reason;
        })
      : undefined;
    const {
      outcomes,
      failure: associationError,
      failureClass,
    } = await sendAndRecord(this.transfers, {
      transferId: transfer.id,
      target: scuTargetFor(node, this.config.hub),
      instances: pending.map(toStored),
      coercion: { rules: recipient?.coercion ?? [], context },
      recorder: feed,
      recordEveryMs: ARRIVING_FEED_TIMING.recordEveryMs,
      more: feed?.next,
    });

    const { delivered, total } = await this.transfers.countByState(transfer.id);
    const failed = total - delivered;
    const convertedToImplicit = outcomes.filter((outcome) => outcome.sentAs !== undefined).length;
    // What this association offered the recipient: the first batch, and what the feed gave that went out (one
    // needing a context not negotiated here is left unanswered for the next association).
    const offered = outcomes.filter((outcome, index) => index < pending.length || wasAnswered(outcome)).length;
    // A permanent rejection fails at once; a transient failure (no connection, transient rejection, 0xA7xx) retries.
    const permanent = failureClass === 'permanent';
    const retry = failureClass === 'transient';
    // A round while the study arrives leaves the transfer delivering; a transient failure backs off as
    // for any delivery (what was refused only for now goes again in the last round).
    const state =
      arriving && !permanent && !retry
        ? 'delivering'
        : delivered === total
          ? 'delivered'
          : retry
            ? 'queued'
            : delivered > 0
              ? 'partially-delivered'
              : 'failed';
    // An instance left unanswered is not an error of its own: it goes again in the next association.
    const lastError =
      associationError?.message ??
      outcomes.find((outcome) => !isStoredStatus(outcome.status) && wasAnswered(outcome))?.error ??
      null;
    await this.transfers.transition(transfer.id, ['delivering'], state, {
      // An earlier round's reason stays until the transfer is delivered in full.
      ...(lastError !== null || state === 'delivered' ? { lastError } : {}),
      ...(state === 'delivered' ? { deliveredAt: now } : {}),
    });
    await this.audit.record('delivery-attempted', {
      outcome:
        state === 'delivered' || (state === 'delivering' && failed === 0)
          ? AuditOutcome.Success
          : delivered > 0
            ? AuditOutcome.MinorFailure
            : AuditOutcome.SeriousFailure,
      ...subject,
      detail: {
        transferId: transfer.id,
        node: `${node.aeTitle}@${node.host}:${node.port}`,
        instances: offered,
        delivered,
        failed,
        state,
        ...(arriving ? { whileReceiving: true } : {}),
        ...(associationError ? { error: associationError.message } : {}),
        // Stored as Explicit VR LE, sent as Implicit VR LE: all the recipient accepted (lossless).
        ...(convertedToImplicit > 0 ? { convertedToImplicitVrLittleEndian: convertedToImplicit } : {}),
      },
    });
    this.logger.log(
      `transfer ${transfer.id} → ${node.aeTitle}: ${state}${arriving ? ' while receiving' : ''} (${delivered}/${total})`,
    );
    const outcome: DeliveryOutcomeLabel = permanent
      ? 'failed'
      : retry
        ? 'retry'
        : state === 'delivering'
          ? 'round'
          : (state as DeliveryOutcomeLabel);
    this.metrics.deliveryFinished(node.aeTitle, outcome, {
      delivered: outcomes.filter((answer) => isStoredStatus(answer.status)).length,
      refused: outcomes.filter((answer) => !isStoredStatus(answer.status) && wasAnswered(answer)).length,
    });
    if (permanent) {
      throw new UnrecoverableError(associationError!.message);
    }
    if (retry) {
      throw new Error(associationError?.message ?? 'the recipient was out of resources; will retry');
    }
    if (state === 'delivering') {
      return { state: 'arriving', delivered, nextRoundInMs: 0 };
    }
    return { state: state as 'delivered' | 'partially-delivered' | 'failed', delivered, failed };
  }
}
