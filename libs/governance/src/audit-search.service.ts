import { Injectable } from '@nestjs/common';
import { AUDIT_EVENT_ACTIONS, AuditAction, AuditEventName, AuditOutcome, AuditService } from '@hub/audit';
import { AuditEventFilter, AuditEventRepository } from '@hub/db';
import { AuditEventView, AUDIT_CSV_COLUMNS, auditCsvRow, mapAuditEvent } from './audit-views';
import { toCsv } from './csv';
import { PortalCaller, auditActor } from './portal-actor';
import { appliedFilter, checkRange, optionalChoices, optionalDate, optionalInt, optionalText } from './query-params';

export interface AuditPage {
  page: number;
  pageSize: number;
  total: number;
  items: AuditEventView[];
}

export interface Accessor {
  /** The user name, or the DICOM node (AE title, or recipient node of a delivery). */
  actor: string;
  kind: 'user' | 'node';
  trusts: string[];
  events: string[];
  count: number;
  first: string;
  last: string;
}

export interface PatientAccessReport {
  patientId: string;
  accessors: Accessor[];
  events: AuditEventView[];
}

/** What counts as access to a patient's images: transfers in and out, views, and queries naming the patient. */
const ACCESS_ACTIONS = [
  AuditAction.DicomInstancesTransferred,
  AuditAction.BeginTransferringDicomInstances,
  AuditAction.DicomInstancesAccessed,
  AuditAction.Query,
];

/** Events whose actor node is the recipient trust's (a pulling PACS), not the sender's. */
const NODE_ACTS_FOR_RECIPIENT = new Set(['instances-retrieved', 'query-performed', 'retrieve-refused']);

const EXPORT_BATCH = 1000;
const EXPORT_LIMIT = 200_000;

/**
 * Governance search over the audit trail, paged, with a CSV export of exactly the same rows in the
 * same order and a "who has accessed this patient's images" report. Each of these reads is itself audited.
 */
@Injectable()
export class AuditSearchService {
  constructor(
    private readonly events: AuditEventRepository,
    private readonly audit: AuditService,
  ) {}

  async search(caller: PortalCaller, query: Record<string, unknown>): Promise<AuditPage> {
    const filter = parseFilter(query);
    const page = optionalInt('page', query.page, 1, 1_000_000) ?? 1;
    const pageSize = optionalInt('pageSize', query.pageSize, 1, 1000) ?? 100;
    const [total, rows] = await Promise.all([
      this.events.count(filter),
      this.events.search(filter, (page - 1) * pageSize, pageSize),
    ]);
    await this.recordSearch(caller, filter, rows.length, 'json');
    return { page, pageSize, total, items: rows.map(mapAuditEvent) };
  }

  /** Every matching event (up to 200 000), oldest first: the rows search returns, page after page. */
  async exportCsv(caller: PortalCaller, query: Record<string, unknown>): Promise<string> {
    const filter = parseFilter(query);
    const rows: Array<Array<string | number | null>> = [];
    for (let offset = 0; offset < EXPORT_LIMIT; offset += EXPORT_BATCH) {
      const batch = await this.events.search(filter, offset, EXPORT_BATCH);
      rows.push(...batch.map((event) => auditCsvRow(mapAuditEvent(event))));
      if (batch.length < EXPORT_BATCH) {
        break;
      }
    }
    await this.recordSearch(caller, filter, rows.length, 'csv');
    return toCsv(AUDIT_CSV_COLUMNS, rows);
  }

  async patientAccess(caller: PortalCaller, patientIdParam: string, query: Record<string, unknown>) {
    const patientId = optionalText('patientId', patientIdParam)!;
    const from = optionalDate('from', query.from);
    const to = optionalDate('to', query.to);
    checkRange(from, to);
    const filter: AuditEventFilter = { patientId, actions: ACCESS_ACTIONS, from, to };
    const views: AuditEventView[] = [];
    for (let offset = 0; offset < EXPORT_LIMIT; offset += EXPORT_BATCH) {
      const batch = await this.events.search(filter, offset, EXPORT_BATCH);
      views.push(...batch.map(mapAuditEvent));
      if (batch.length < EXPORT_BATCH) {
        break;
      }
    }
    await this.recordSearch(caller, filter, views.length, 'access-report');
    return { patientId, accessors: summariseAccess(views), events: views } satisfies PatientAccessReport;
  }

  private async recordSearch(
    caller: PortalCaller,
    filter: AuditEventFilter,
    results: number,
    format: 'json' | 'csv' | 'access-report',
  ) {
    await this.audit.record('audit-searched', {
      outcome: AuditOutcome.Success,
      actor: auditActor(caller),
      patientId: filter.patientId,
      studyInstanceUid: filter.studyInstanceUid,
      detail: { filter: appliedFilter({ ...filter }), results, format },
    });
  }
}

function parseFilter(query: Record<string, unknown>): AuditEventFilter {
  const from = optionalDate('from', query.from);
  const to = optionalDate('to', query.to);
  checkRange(from, to);
  return {
    patientId: optionalText('patientId', query.patientId),
    studyInstanceUid: optionalText('studyInstanceUid', query.studyInstanceUid),
    actor: optionalText('actor', query.actor, 128),
    actions: optionalChoices('action', query.action, Object.values(AuditAction)),
    events: optionalChoices('event', query.event, Object.keys(AUDIT_EVENT_ACTIONS) as AuditEventName[]),
    trust: optionalText('trust', query.trust, 16),
    from,
    to,
  };
}

/** One line per user or node that touched the patient's images, in order of first access. */
/** Who accessed, from the events of one patient: each actor once, with the trusts it acted for. */
export function summariseAccess(events: AuditEventView[]): Accessor[] {
  const byActor = new Map<string, Accessor>();
  for (const event of events) {
    const delivery = event.event === 'delivery-attempted' || event.event === 'delivery-finished';
    const node = delivery ? String(event.detail.node ?? '') : '';
    const actor = event.actorUser ?? (node || event.actorAeTitle) ?? 'unknown';
    const kind = event.actorUser ? 'user' : 'node';
    const key = `${kind}:${actor}`;
    const accessor = byActor.get(key) ?? {
      actor,
      kind,
      trusts: [],
      events: [],
      count: 0,
      first: event.occurredAt,
      last: event.occurredAt,
    };
    // A node acts for the trust it belongs to: the recipient's when it receives, queries or pulls.
    const forRecipient = node !== '' || NODE_ACTS_FOR_RECIPIENT.has(event.event);
    const trust = kind === 'user' ? null : forRecipient ? event.destinationTrust : event.sourceTrust;
    if (trust && !accessor.trusts.includes(trust)) {
      accessor.trusts.push(trust);
    }
    if (!accessor.events.includes(event.event)) {
      accessor.events.push(event.event);
    }
    accessor.count += 1;
    accessor.last = event.occurredAt;
    byActor.set(key, accessor);
  }
  return [...byActor.values()];
}
