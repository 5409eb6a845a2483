import { Injectable } from '@nestjs/common';
import { AuditEventRecord, AuditEventRepository, auditEventHash } from '@hub/db';
import { AuditActor, AuditOutcome } from './audit-event.types';
import { AuditService } from './audit.service';

export const AUDIT_GENESIS_HASH = '0'.repeat(64);

export type AuditVerification =
  { intact: true; events: number } | { intact: false; events: number; eventId: string | null; problem: string };

/**
 * Walks the audit trail from the first event and recomputes the hash chain. An edited row fails its
 * own hash; an inserted or deleted row breaks the link of the row after it; a deleted tail no longer
 * matches the chain head. Reports the first break.
 */
@Injectable()
export class AuditVerifyService {
  constructor(
    private readonly events: AuditEventRepository,
    private readonly audit: AuditService,
  ) {}

  /** verify(), for a person who asked: the check and what it found are audited (a break as a major failure). */
  async verifyFor(actor: AuditActor): Promise<AuditVerification> {
    const result = await this.verify();
    await this.audit.record('audit-chain-verified', {
      outcome: result.intact ? AuditOutcome.Success : AuditOutcome.MajorFailure,
      actor,
      detail: result.intact
        ? { intact: true, events: result.events }
        : { intact: false, events: result.events, eventId: result.eventId, problem: result.problem },
    });
    return result;
  }

  async verify(pageSize = 1000): Promise<AuditVerification> {
    let expectedPrev = AUDIT_GENESIS_HASH;
    let lastId = '0';
    let count = 0;
    for (;;) {
      const page = await this.events.getPage(lastId, pageSize);
      for (const event of page) {
        if (event.prevHash !== expectedPrev) {
          return broken(count, event.id, 'does not follow the event before it (an event was inserted or deleted)');
        }
        if (auditEventHash(event.prevHash, valuesOf(event)) !== event.hash) {
          return broken(count, event.id, 'its content does not match its hash (the event was edited)');
        }
        expectedPrev = event.hash;
        lastId = event.id;
        count += 1;
      }
      if (page.length < pageSize) {
        break;
      }
    }
    const head = await this.events.getChainHead();
    if (head.lastHash !== expectedPrev || head.lastEventId !== lastId) {
      return broken(
        count,
        null,
        `the trail ends at event ${lastId} but the chain head names event ${head.lastEventId}`,
      );
    }
    return { intact: true, events: count };
  }
}

function broken(events: number, eventId: string | null, problem: string): AuditVerification {
  return { intact: false, events, eventId, problem };
}

function valuesOf(event: AuditEventRecord) {
  return {
    occurredAt: event.occurredAt,
    action: event.action,
    event: event.event,
    outcome: event.outcome,
    actorAeTitle: event.actorAeTitle,
    actorAddress: event.actorAddress,
    actorUser: event.actorUser,
    sourceTrust: event.sourceTrust,
    destinationTrust: event.destinationTrust,
    patientId: event.patientId,
    studyInstanceUid: event.studyInstanceUid,
    detail: (typeof event.detail === 'string' ? JSON.parse(event.detail) : event.detail) as Record<string, unknown>,
  };
}
