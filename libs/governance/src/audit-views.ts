import { AuditEventRecord } from '@hub/db';

/** An audit event as the portal shows it and the CSV export writes it. */
export interface AuditEventView {
  id: string;
  occurredAt: string;
  action: string;
  event: string;
  outcome: number;
  actorUser: string | null;
  actorAeTitle: string | null;
  actorAddress: string | null;
  sourceTrust: string | null;
  destinationTrust: string | null;
  patientId: string | null;
  studyInstanceUid: string | null;
  detail: Record<string, unknown>;
}

export const AUDIT_CSV_COLUMNS: Array<keyof AuditEventView> = [
  'id',
  'occurredAt',
  'action',
  'event',
  'outcome',
  'actorUser',
  'actorAeTitle',
  'actorAddress',
  'sourceTrust',
  'destinationTrust',
  'patientId',
  'studyInstanceUid',
  'detail',
];

export function mapAuditEvent(event: AuditEventRecord): AuditEventView {
  return {
    id: String(event.id),
    occurredAt: event.occurredAt.toISOString(),
    action: event.action,
    event: event.event,
    outcome: event.outcome,
    actorUser: event.actorUser,
    actorAeTitle: event.actorAeTitle,
    actorAddress: event.actorAddress,
    sourceTrust: event.sourceTrust,
    destinationTrust: event.destinationTrust,
    patientId: event.patientId,
    studyInstanceUid: event.studyInstanceUid,
    detail: (typeof event.detail === 'string' ? JSON.parse(event.detail) : event.detail) as Record<string, unknown>,
  };
}

export function auditCsvRow(view: AuditEventView): Array<string | number | null> {
  return AUDIT_CSV_COLUMNS.map((column) =>
    column === 'detail' ? JSON.stringify(view.detail) : (view[column] as string | number | null),
  );
}
