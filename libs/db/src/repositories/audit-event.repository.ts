import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditChainHeadEntity, AuditEventEntity } from '../entities';

export interface AuditEventValues {
  occurredAt: Date;
  action: string;
  event: string;
  outcome: number;
  actorAeTitle?: string | null;
  actorAddress?: string | null;
  actorUser?: string | null;
  sourceTrust?: string | null;
  destinationTrust?: string | null;
  patientId?: string | null;
  studyInstanceUid?: string | null;
  detail: Record<string, unknown>;
}

export type AuditEventRecord = Omit<AuditEventEntity, never>;

/** Governance search over the audit trail; every field narrows, all together. */
export interface AuditEventFilter {
  patientId?: string;
  studyInstanceUid?: string;
  /** A user name or an AE title. */
  actor?: string;
  /** PS3.15 actions (e.g. Query, SecurityAlert). */
  actions?: string[];
  /** Event names (e.g. user-logged-in). */
  events?: string[];
  /** ODS code, as source or destination. */
  trust?: string;
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** JSON with object keys sorted, so a database that reorders JSON keys (MySQL 8) hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The hash that chains an event to its predecessor; verification recomputes exactly this. */
export function auditEventHash(prevHash: string, event: AuditEventValues): string {
  const canonical = canonicalJson([
    prevHash,
    event.occurredAt.toISOString(),
    event.action,
    event.event,
    event.outcome,
    event.actorAeTitle ?? null,
    event.actorAddress ?? null,
    event.actorUser ?? null,
    event.sourceTrust ?? null,
    event.destinationTrust ?? null,
    event.patientId ?? null,
    event.studyInstanceUid ?? null,
    event.detail,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

@Injectable()
export class AuditEventRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Appends events in one transaction: the chain head row is locked, so appends from every
   * process are serialised and each event carries the hash of the one before it.
   */
  async append(events: AuditEventValues[]): Promise<void> {
    if (events.length === 0) {
      return;
    }
    await this.dataSource.transaction(async (manager) => {
      const head = await manager
        .getRepository(AuditChainHeadEntity)
        .createQueryBuilder('head')
        .setLock('pessimistic_write')
        .where('head.id = 1')
        .getOneOrFail();
      let prevHash = head.lastHash;
      let lastId = head.lastEventId;
      for (const event of events) {
        const hash = auditEventHash(prevHash, event);
        const result = await manager.getRepository(AuditEventEntity).insert({
          ...event,
          detail: event.detail as never,
          actorAeTitle: event.actorAeTitle ?? null,
          actorAddress: event.actorAddress ?? null,
          actorUser: event.actorUser ?? null,
          sourceTrust: event.sourceTrust ?? null,
          destinationTrust: event.destinationTrust ?? null,
          patientId: event.patientId ?? null,
          studyInstanceUid: event.studyInstanceUid ?? null,
          prevHash,
          hash,
        });
        prevHash = hash;
        lastId = String(result.identifiers[0].id);
      }
      await manager.getRepository(AuditChainHeadEntity).update({ id: 1 }, { lastHash: prevHash, lastEventId: lastId });
    });
  }

  /** Events in id order after `afterId`, a page at a time, for verification. */
  async getPage(afterId: string, limit: number): Promise<AuditEventRecord[]> {
    return this.dataSource
      .getRepository(AuditEventEntity)
      .createQueryBuilder('event')
      .where('event.id > :afterId', { afterId })
      .orderBy('event.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  async getChainHead(): Promise<{ lastHash: string; lastEventId: string }> {
    const head = await this.dataSource.getRepository(AuditChainHeadEntity).findOneByOrFail({ id: 1 });
    return { lastHash: head.lastHash, lastEventId: head.lastEventId };
  }

  /** Matching events, oldest first (by id: the order they were appended), a page at a time. */
  async search(filter: AuditEventFilter, offset: number, limit: number): Promise<AuditEventRecord[]> {
    return this.filtered(filter).orderBy('event.id', 'ASC').offset(offset).limit(limit).getMany();
  }

  async count(filter: AuditEventFilter): Promise<number> {
    return this.filtered(filter).getCount();
  }

  /** The events of one study as exchanged between two trusts (its transfer's timeline), oldest first. */
  /**
   * One transfer's timeline, oldest first: the events that name the transfer or its study row, and the
   * instances-stored events of its own exchange (this study, from this sender, to this recipient's folder).
   * Not every event of the StudyInstanceUID: another trust's copy of the study, or a query that matched it,
   * is not this transfer's history.
   */
  async getForTransfer(transfer: {
    id: string;
    studyId: string;
    studyInstanceUid: string;
    sourceTrust: string;
    destinationTrust: string;
    folder: string;
  }) {
    return this.dataSource
      .getRepository(AuditEventEntity)
      .createQueryBuilder('event')
      .where('event.studyInstanceUid = :studyInstanceUid', { studyInstanceUid: transfer.studyInstanceUid })
      .andWhere(
        `(JSON_UNQUOTE(JSON_EXTRACT(event.detail, '$.transferId')) = :transferId
          OR JSON_UNQUOTE(JSON_EXTRACT(event.detail, '$.studyId')) = :studyId
          OR (event.event = 'instances-stored' AND event.sourceTrust = :sourceTrust
              AND event.destinationTrust = :destinationTrust
              AND JSON_UNQUOTE(JSON_EXTRACT(event.detail, '$.folder')) = :folder))`,
        {
          transferId: transfer.id,
          studyId: transfer.studyId,
          sourceTrust: transfer.sourceTrust,
          destinationTrust: transfer.destinationTrust,
          folder: transfer.folder,
        },
      )
      .orderBy('event.id', 'ASC')
      .getMany();
  }

  private filtered(filter: AuditEventFilter) {
    const query = this.dataSource.getRepository(AuditEventEntity).createQueryBuilder('event');
    if (filter.patientId !== undefined) {
      query.andWhere('event.patientId = :patientId', { patientId: filter.patientId });
    }
    if (filter.studyInstanceUid !== undefined) {
      query.andWhere('event.studyInstanceUid = :studyInstanceUid', { studyInstanceUid: filter.studyInstanceUid });
    }
    if (filter.actor !== undefined) {
      query.andWhere('(event.actorUser = :actor OR event.actorAeTitle = :actor)', { actor: filter.actor });
    }
    if (filter.actions?.length) {
      query.andWhere('event.action IN (:...actions)', { actions: filter.actions });
    }
    if (filter.events?.length) {
      query.andWhere('event.event IN (:...events)', { events: filter.events });
    }
    if (filter.trust !== undefined) {
      query.andWhere('(event.sourceTrust = :trust OR event.destinationTrust = :trust)', { trust: filter.trust });
    }
    if (filter.from) {
      query.andWhere('event.occurredAt >= :from', { from: filter.from });
    }
    if (filter.to) {
      query.andWhere('event.occurredAt < :to', { to: filter.to });
    }
    return query;
  }

  async find(filter: { action?: string; event?: string; studyInstanceUid?: string }): Promise<AuditEventRecord[]> {
    return this.dataSource.getRepository(AuditEventEntity).find({ where: filter, order: { id: 'ASC' } });
  }
}
