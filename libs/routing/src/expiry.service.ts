import { Injectable, Logger } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { LIVE_TRANSFER_STATES, StudyRepository, TransferRepository } from '@hub/db';
import { RoutingService } from './routing.service';
import { StudyPurgeService } from './study-purge.service';
import { studySubject } from './study-subject';

export type ExpiryResult = { state: 'expired' | 'already-expired' | 'missing' } | { state: 'not-due'; dueInMs: number };

/**
 * Purges a transfer's files when its folder time is up: the transfer becomes expired, the study's
 * instances are marked purged, the records and the audit trail stay.
 */
@Injectable()
export class ExpiryService {
  private readonly logger = new Logger(ExpiryService.name);

  constructor(
    private readonly transfers: TransferRepository,
    private readonly studies: StudyRepository,
    private readonly purge: StudyPurgeService,
    private readonly audit: AuditService,
    private readonly routing: RoutingService,
  ) {}

  async handleExpireTransfer(transferId: string, now = new Date()): Promise<ExpiryResult> {
    const transfer = await this.transfers.getById(transferId);
    if (!transfer) {
      return { state: 'missing' };
    }
    if (transfer.state === 'expired') {
      return { state: 'already-expired' };
    }
    if (transfer.expiresAt > now) {
      return { state: 'not-due', dueInMs: transfer.expiresAt.getTime() - now.getTime() };
    }
    const purged = await this.purge.purgeStudyFiles(transfer.studyId, now);
    await this.transfers.transition(transfer.id, LIVE_TRANSFER_STATES, 'expired', { expiredAt: now });
    await this.studies.transition(transfer.studyId, ['routed'], 'expired');
    const study = await this.studies.getById(transfer.studyId);
    this.logger.log(`transfer ${transfer.id} expired: ${purged} file(s) purged`);
    if (study) {
      await this.audit.record('study-deleted', {
        outcome: AuditOutcome.Success,
        ...studySubject(study, await this.routing.trustCodes(), { user: 'expiry' }),
        detail: { studyId: study.id, transferId: transfer.id, reason: 'expired', instancesPurged: purged },
      });
    }
    return { state: 'expired' };
  }

  /** Live transfers past their time, for the sweep and for `expire --dry-run`. */
  async due(now = new Date()) {
    return this.transfers.getDueForExpiry(now);
  }
}
