import { Injectable, Logger } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { StudyRepository, Transfer, TransferRepository, LIVE_TRANSFER_STATES } from '@hub/db';
import { StudyQueueProducer } from '@hub/queue';
import { ExpiryService } from './expiry.service';
import { RoutingService } from './routing.service';
import { studySubject } from './study-subject';

export interface SweepReport {
  routed: number;
  suspended: number;
  resumed: number;
  expired: number;
}

/**
 * Re-derives the router's work from MySQL, so nothing waits on a lost job: complete studies not yet
 * routed, transfers whose agreement stopped (suspend) or came back (resume), and transfers past
 * their folder time (expired here and now, whatever Redis remembers).
 */
@Injectable()
export class TransferSweepService {
  private readonly logger = new Logger(TransferSweepService.name);

  constructor(
    private readonly studies: StudyRepository,
    private readonly transfers: TransferRepository,
    private readonly routing: RoutingService,
    private readonly expiry: ExpiryService,
    private readonly audit: AuditService,
    private readonly queue: StudyQueueProducer,
  ) {}

  async sweep(now = new Date()): Promise<SweepReport> {
    const report: SweepReport = { routed: 0, suspended: 0, resumed: 0, expired: 0 };
    for (const study of await this.studies.getByState('complete')) {
      await this.queue.scheduleRoute(study.id);
      report.routed += 1;
    }
    for (const transfer of await this.transfers.getDueForExpiry(now)) {
      if ((await this.expiry.handleExpireTransfer(transfer.id, now)).state === 'expired') {
        report.expired += 1;
      }
    }
    for (const transfer of await this.transfers.getByStates(['queued', 'suspended'])) {
      const change = await this.enforceAgreement(transfer, now);
      if (change) {
        report[change] += 1;
      }
    }
    // Delivering too: a transfer delivered in rounds while its study arrives is delivering between them
    // (a job that is still there makes this a no-op).
    for (const transfer of await this.transfers.getByStates(['queued', 'delivering'])) {
      await this.routing.scheduleDelivery(transfer);
    }
    for (const transfer of await this.transfers.getByStates(LIVE_TRANSFER_STATES)) {
      await this.queue.scheduleExpiry(transfer.id, transfer.expiresAt);
    }
    if (report.routed + report.suspended + report.resumed + report.expired > 0) {
      this.logger.log(
        `sweep: ${report.routed} to route, ${report.suspended} suspended, ${report.resumed} resumed, ${report.expired} expired`,
      );
    }
    return report;
  }

  /**
   * Holds a delivery that has not started while its agreement is suspended or lapsed, and lets it
   * go again when the agreement is back in force.
   */
  private async enforceAgreement(transfer: Transfer, now: Date): Promise<'suspended' | 'resumed' | undefined> {
    const study = await this.studies.getById(transfer.studyId);
    if (!study) {
      return undefined;
    }
    const { decision } = await this.routing.checkAgreement(study, now);
    const subject = studySubject(study, await this.routing.trustCodes(), { user: 'router' });
    if (!decision.allowed && transfer.state === 'queued') {
      if (await this.transfers.transition(transfer.id, ['queued'], 'suspended', { lastError: decision.reason })) {
        await this.audit.record('transfer-suspended', {
          outcome: AuditOutcome.MinorFailure,
          ...subject,
          detail: { transferId: transfer.id, reason: decision.reason },
        });
        return 'suspended';
      }
    }
    if (decision.allowed && transfer.state === 'suspended') {
      if (await this.transfers.transition(transfer.id, ['suspended'], 'queued', { lastError: null })) {
        await this.audit.record('transfer-resumed', {
          outcome: AuditOutcome.Success,
          ...subject,
          detail: { transferId: transfer.id },
        });
        return 'resumed';
      }
    }
    return undefined;
  }
}
