import { Injectable } from '@nestjs/common';
import { AuditEventRepository, AuditEventValues } from '@hub/db';
import { HubMetrics } from '@hub/observability';
import { AUDIT_EVENT_ACTIONS, AuditEventMap, AuditEventName } from './audit-event.types';

/** Writes audit events at the point a decision is made. Append-only and hash-chained in MySQL. */
@Injectable()
export class AuditService {
  constructor(
    private readonly repository: AuditEventRepository,
    private readonly metrics: HubMetrics,
  ) {}

  async record<N extends AuditEventName>(name: N, event: AuditEventMap[N]): Promise<void> {
    await this.repository.append([toValues(name, event)]);
    this.metrics.auditWritten([{ name }]);
  }

  async recordMany(events: Array<{ [N in AuditEventName]: { name: N; event: AuditEventMap[N] } }[AuditEventName]>) {
    await this.repository.append(events.map(({ name, event }) => toValues(name, event)));
    this.metrics.auditWritten(events);
  }
}

function toValues<N extends AuditEventName>(name: N, event: AuditEventMap[N]): AuditEventValues {
  return {
    occurredAt: new Date(),
    action: AUDIT_EVENT_ACTIONS[name],
    event: name,
    outcome: event.outcome,
    actorAeTitle: event.actor.aeTitle,
    actorAddress: event.actor.address,
    actorUser: event.actor.user,
    sourceTrust: event.sourceTrust,
    destinationTrust: event.destinationTrust,
    patientId: event.patientId,
    studyInstanceUid: event.studyInstanceUid,
    detail: event.detail as Record<string, unknown>,
  };
}
