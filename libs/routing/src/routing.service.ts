import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import {
  Agreement,
  AgreementRepository,
  NodeRepository,
  Study,
  StudyRepository,
  Transfer,
  TransferRepository,
  TrustRepository,
} from '@hub/db';
import { StudyQueueProducer } from '@hub/queue';
import { AgreementDecision, evaluateAgreement } from './agreement-policy';
import { StudyPurgeService } from './study-purge.service';
import { studySubject } from './study-subject';

export type RouteResult =
  | { state: 'routed'; transferId: string; whileReceiving?: true }
  | { state: 'late-instances'; transferId: string; added: number }
  | { state: 'quarantined'; reason: string }
  | { state: 'skipped'; studyState: string };

const ROUTER_ACTOR = { aeTitle: undefined, user: 'router' };

/**
 * Files a complete study in the recipient's folder when a sharing agreement allows it, or
 * quarantines it with the reason. Idempotent: a second run of the same job finds the study routed
 * and only adds instances that arrived since (late reports, missed series).
 */
@Injectable()
export class RoutingService {
  private readonly logger = new Logger(RoutingService.name);

  constructor(
    private readonly studies: StudyRepository,
    private readonly agreements: AgreementRepository,
    private readonly transfers: TransferRepository,
    private readonly nodes: NodeRepository,
    private readonly trusts: TrustRepository,
    private readonly purge: StudyPurgeService,
    private readonly audit: AuditService,
    private readonly queue: StudyQueueProducer,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async handleRouteStudy(studyId: string, now = new Date()): Promise<RouteResult> {
    const study = await this.studies.getById(studyId);
    if (!study) {
      return { state: 'skipped', studyState: 'missing' };
    }
    if (study.state === 'receiving') {
      return this.routeWhileReceiving(study, now);
    }
    if (study.state === 'complete') {
      return this.routeComplete(study, now);
    }
    if (study.state === 'routed') {
      return this.joinLateInstances(study);
    }
    if (study.state === 'expired' || study.state === 'discarded') {
      await this.purgeLateArrivals(study, study.state, (await this.transfers.getByStudy(study.id))?.id);
    }
    return { state: 'skipped', studyState: study.state };
  }

  /**
   * A study in a folder that forwards while receiving (emergency, by default) is filed on its first
   * instance when it may go now to a push node: delivery then sends what has arrived, in rounds, until
   * the study is complete. Otherwise nothing happens yet, and completion decides as for any study.
   */
  private async routeWhileReceiving(study: Study, now: Date): Promise<RouteResult> {
    const skipped = { state: 'skipped', studyState: study.state } as const;
    if (!this.config.folders[study.folder].forwardWhileReceiving || (await this.transfers.getByStudy(study.id))) {
      return skipped;
    }
    const { agreement, decision } = await this.checkAgreement(study, now);
    // An agreement limited to some modalities can only judge the whole study: that waits for completion.
    const whole = !agreement?.modalities || agreement.modalities.length === 0;
    if (
      !decision.allowed ||
      !agreement ||
      !whole ||
      (await this.nodes.getPushNodes(study.recipientTrustId)).length === 0
    ) {
      return skipped;
    }
    return this.fileTransfer(study, agreement, { push: true, whileReceiving: true });
  }

  private async routeComplete(study: Study, now: Date): Promise<RouteResult> {
    const early = await this.transfers.getByStudy(study.id);
    if (early?.state === 'expired') {
      await this.studies.transition(study.id, ['complete'], 'routed');
      return this.joinLateInstances(study);
    }
    if (early) {
      // Filed while it arrived: the last instances join that transfer (its delivery, still going,
      // sends them), and only then is the study routed, which is what ends that delivery's rounds.
      await this.joinInstances(study, early, { audit: false });
      await this.studies.transition(study.id, ['complete'], 'routed');
      return { state: 'routed', transferId: early.id };
    }
    const codes = await this.trustCodes();
    const { agreement, decision } = await this.checkAgreement(study, now);
    if (!decision.allowed || !agreement) {
      const reason = decision.allowed ? 'no sharing agreement between these trusts' : decision.reason;
      if (await this.studies.transition(study.id, ['complete'], 'quarantined', { quarantineReason: reason })) {
        this.logger.warn(`study ${study.studyInstanceUid} quarantined: ${reason}`);
        await this.audit.record('study-quarantined', {
          outcome: AuditOutcome.MinorFailure,
          ...studySubject(study, codes, ROUTER_ACTOR),
          detail: { studyId: study.id, folder: study.folder, reason },
        });
      }
      return { state: 'quarantined', reason };
    }
    const push = (await this.nodes.getPushNodes(study.recipientTrustId)).length > 0;
    return this.fileTransfer(study, agreement, { push, whileReceiving: false });
  }

  /** Files the study in the recipient's folder as a transfer, audits it, and queues expiry and delivery. */
  private async fileTransfer(
    study: Study,
    agreement: Agreement,
    { push, whileReceiving }: { push: boolean; whileReceiving: boolean },
  ): Promise<RouteResult> {
    const retentionMs = this.config.folders[study.folder].retentionHours * 3600 * 1000;
    const { transfer, created } = await this.transfers.createForStudy({
      studyId: study.id,
      agreementId: agreement.id,
      senderTrustId: study.senderTrustId,
      recipientTrustId: study.recipientTrustId,
      folder: study.folder,
      state: push ? 'queued' : 'awaiting-pull',
      expiresAt: new Date(study.firstReceivedAt.getTime() + retentionMs),
    });
    const added = await this.transfers.addStudyInstances(transfer.id, study.id);
    if (!whileReceiving) {
      await this.studies.transition(study.id, ['complete'], 'routed');
    }
    if (created) {
      this.logger.log(
        `study ${study.studyInstanceUid} routed to ${study.folder} as transfer ${transfer.id}${whileReceiving ? ' while it arrives' : ''}`,
      );
      await this.audit.record('study-routed', {
        outcome: AuditOutcome.Success,
        ...studySubject(study, await this.trustCodes(), ROUTER_ACTOR),
        detail: {
          studyId: study.id,
          transferId: transfer.id,
          folder: study.folder,
          state: transfer.state,
          expiresAt: transfer.expiresAt.toISOString(),
          instances: added.length,
          ...(whileReceiving ? { whileReceiving } : {}),
        },
      });
    }
    await this.queue.scheduleExpiry(transfer.id, transfer.expiresAt);
    if (transfer.state === 'queued') {
      await this.scheduleDelivery(transfer);
    }
    return whileReceiving
      ? { state: 'routed', transferId: transfer.id, whileReceiving }
      : { state: 'routed', transferId: transfer.id };
  }

  private async joinLateInstances(study: Study): Promise<RouteResult> {
    const transfer = await this.transfers.getByStudy(study.id);
    if (!transfer) {
      throw new Error(`study ${study.id} is routed but has no transfer`);
    }
    if (transfer.state === 'expired') {
      await this.purgeLateArrivals(study, 'expired', transfer.id);
      return { state: 'skipped', studyState: 'expired' };
    }
    const added = await this.joinInstances(study, transfer, { audit: true });
    return { state: 'late-instances', transferId: transfer.id, added };
  }

  /**
   * Adds the study's instances not yet in its transfer; a transfer already sent goes again, for the
   * newcomers only (delivered instances are skipped), and for instances sent again after failing here
   * (the receiver made them pending). Returns how many joined.
   */
  private async joinInstances(
    study: Study,
    transfer: Pick<Transfer, 'id' | 'state' | 'folder' | 'recipientTrustId'>,
    options: { audit: boolean },
  ): Promise<number> {
    const added = await this.transfers.addStudyInstances(transfer.id, study.id);
    if (added.length === 0) {
      const resent =
        (await this.transfers.hasPendingInstances(transfer.id)) &&
        (await this.transfers.transition(transfer.id, ['delivered', 'partially-delivered', 'failed'], 'queued'));
      if (resent) {
        this.logger.log(`transfer ${transfer.id}: instances sent again after failing here go again`);
        await this.scheduleDelivery(transfer);
      }
      return 0;
    }
    const redeliver = await this.transfers.transition(
      transfer.id,
      ['delivered', 'partially-delivered', 'failed'],
      'queued',
    );
    if (options.audit) {
      await this.audit.record('late-instances-joined', {
        outcome: AuditOutcome.Success,
        ...studySubject(study, await this.trustCodes(), ROUTER_ACTOR),
        detail: {
          studyId: study.id,
          transferId: transfer.id,
          instances: added.length,
          sopClasses: [...new Set(added.map((row) => row.sopClassUid))],
          redeliver,
        },
      });
    }
    if (redeliver || transfer.state === 'queued') {
      await this.scheduleDelivery(transfer);
    }
    return added.length;
  }

  /**
   * Instances that arrive after the study's folder time is up, or after it was discarded, are not
   * kept or delivered: their files go at once (the rows stay, marked purged) and the deletion is audited.
   */
  private async purgeLateArrivals(study: Study, reason: 'expired' | 'discarded', transferId?: string): Promise<void> {
    const purged = await this.purge.purgeStudyFiles(study.id);
    if (purged === 0) {
      return;
    }
    this.logger.log(`study ${study.studyInstanceUid} is ${reason}: ${purged} late instance(s) purged`);
    await this.audit.record('study-deleted', {
      outcome: AuditOutcome.Success,
      ...studySubject(study, await this.trustCodes(), ROUTER_ACTOR),
      detail: { studyId: study.id, transferId, reason, instancesPurged: purged },
    });
  }

  /** Whether the study's exchange (sender → recipient, folder, modalities) is allowed now, and by what. */
  async checkAgreement(study: Study, now: Date): Promise<{ agreement: Agreement | null; decision: AgreementDecision }> {
    const agreement = await this.agreements.getBetween(study.senderTrustId, study.recipientTrustId);
    const decision = evaluateAgreement(agreement, {
      folder: study.folder,
      modalities: study.modalitiesInStudy ? study.modalitiesInStudy.split('\\') : [],
      at: now,
    });
    return { agreement, decision };
  }

  /** Queues the transfer's delivery on its recipient's push node; false when the recipient has none. */
  async scheduleDelivery(transfer: {
    id: string;
    folder: 'emergency' | 'elective';
    recipientTrustId: string;
  }): Promise<boolean> {
    const [node] = await this.nodes.getPushNodes(transfer.recipientTrustId);
    if (!node) {
      return false;
    }
    await this.queue.scheduleDelivery(transfer, node);
    return true;
  }

  /** The trust directory (TrustRepository.codesById), for the services that name trusts through routing. */
  trustCodes(): Promise<Map<string, string>> {
    return this.trusts.codesById();
  }
}
