import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { OUT_OF_RESOURCES_RANGE } from '@hub/dicom';
import { DataSource, EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import { transitionState } from './state-transition';
import { LIVE_TRANSFER_STATES, StudyEntity, TransferEntity, TransferState } from '../entities';

export type Transfer = Omit<TransferEntity, 'createdAt' | 'updatedAt'> & { createdAt: Date };

export interface NewTransfer {
  studyId: string;
  agreementId: string;
  senderTrustId: string;
  recipientTrustId: string;
  folder: 'emergency' | 'elective';
  state: TransferState;
  expiresAt: Date;
}

export interface PendingInstance {
  id: string;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  storagePath: string;
}

export interface TransferFilter {
  state?: TransferState;
  trustId?: string;
  folder?: 'emergency' | 'elective';
  withoutReport?: boolean;
  patientId?: string;
  studyInstanceUid?: string;
  accessionNumber?: string;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
  /** Leaves out restricted studies: flagged ones, and those of these patients. */
  hideRestricted?: { patientIds: string[] };
}

/** SOP classes whose arrival means the report is there: Basic/Enhanced/Comprehensive SR, encapsulated PDF. */
const REPORT_SOP_CLASSES = [
  '1.2.840.10008.5.1.4.1.1.88.11',
  '1.2.840.10008.5.1.4.1.1.88.22',
  '1.2.840.10008.5.1.4.1.1.88.33',
  '1.2.840.10008.5.1.4.1.1.88.34',
  '1.2.840.10008.5.1.4.1.1.104.1',
];

/** What a transfer listing may be sorted by. */
export const TRANSFER_SORTS = ['received', 'exchange', 'folder', 'state', 'studyDate', 'report', 'expires'] as const;
export type TransferSort = (typeof TRANSFER_SORTS)[number];

const SORT_COLUMNS: Record<Exclude<TransferSort, 'exchange' | 'studyDate'>, string> = {
  received: 'transfer.createdAt',
  folder: 'transfer.folder',
  state: 'transfer.state',
  report: 'transfer.hasReport',
  expires: 'transfer.expiresAt',
};

/** How many live transfers are in one state and folder, and since when the oldest of them exists. */
export interface TransferTally {
  state: TransferState;
  folder: 'emergency' | 'elective';
  count: number;
  oldestCreatedAt: Date;
}

export interface TransferPageRequest {
  sort: TransferSort;
  order: 'asc' | 'desc';
  offset: number;
  limit: number;
}

/** A listed transfer with its delivered/total instance counts and what a list shows of its study. */
export interface TransferPageRow {
  transfer: Transfer;
  delivered: number;
  instances: number;
  study: { modalities: string[]; studyDate: string | null; studyDescription: string | null };
}

/** A row of the page query: the transfers table's columns, the study's list columns and the two counts. */
interface RawPageRow {
  id: string;
  study_id: string;
  agreement_id: string;
  sender_trust_id: string;
  recipient_trust_id: string;
  folder: 'emergency' | 'elective';
  state: TransferState;
  expires_at: Date;
  has_report: number | boolean;
  report_received_at: Date | null;
  attempts: number;
  last_error: string | null;
  delivered_at: Date | null;
  expired_at: Date | null;
  flag: string | null;
  created_at: Date;
  modalities_in_study: string | null;
  study_date: string | null;
  study_description: string | null;
  delivered_count: string | number;
  instance_count: string | number;
}

function pageRow(row: RawPageRow): TransferPageRow {
  return {
    transfer: {
      id: row.id,
      studyId: row.study_id,
      agreementId: row.agreement_id,
      senderTrustId: row.sender_trust_id,
      recipientTrustId: row.recipient_trust_id,
      folder: row.folder,
      state: row.state,
      expiresAt: row.expires_at,
      hasReport: Boolean(row.has_report),
      reportReceivedAt: row.report_received_at,
      attempts: Number(row.attempts),
      lastError: row.last_error,
      deliveredAt: row.delivered_at,
      expiredAt: row.expired_at,
      flag: row.flag,
      createdAt: row.created_at,
    },
    delivered: Number(row.delivered_count),
    instances: Number(row.instance_count),
    study: {
      modalities: row.modalities_in_study ? row.modalities_in_study.split('\\') : [],
      studyDate: row.study_date,
      studyDescription: row.study_description,
    },
  };
}

/** A filter that matches few transfers through an index of its own (a patient, a study, an accession number). */
function selectiveFilter(filter: TransferFilter): boolean {
  return (
    filter.patientId !== undefined || filter.studyInstanceUid !== undefined || filter.accessionNumber !== undefined
  );
}

/**
 * Adds the filter's conditions. Restricted studies are left out by the ids `restrictedStudyIds` found: a list
 * of literals is a hash probe per candidate, where MariaDB runs `NOT IN (SELECT …)` and `NOT EXISTS` as a
 * dependent subquery per row (seconds on 100,000 transfers).
 */
function applyTransferFilter(
  query: SelectQueryBuilder<TransferEntity>,
  filter: TransferFilter,
  hiddenStudyIds?: string[],
): void {
  if (filter.state) {
    query.andWhere('transfer.state = :state', { state: filter.state });
  }
  if (filter.trustId) {
    query.andWhere('(transfer.senderTrustId = :trustId OR transfer.recipientTrustId = :trustId)', {
      trustId: filter.trustId,
    });
  }
  if (filter.folder) {
    query.andWhere('transfer.folder = :folder', { folder: filter.folder });
  }
  if (filter.withoutReport) {
    query.andWhere('transfer.hasReport = false');
  }
  if (filter.from) {
    query.andWhere('transfer.createdAt >= :from', { from: filter.from });
  }
  if (filter.to) {
    query.andWhere('transfer.createdAt < :to', { to: filter.to });
  }
  if (filter.patientId !== undefined) {
    query.andWhere('transfer.studyId IN (SELECT s.id FROM studies s WHERE s.patient_id = :patientId)', {
      patientId: filter.patientId,
    });
  }
  if (filter.studyInstanceUid !== undefined) {
    query.andWhere('transfer.studyId IN (SELECT s.id FROM studies s WHERE s.study_instance_uid = :studyUid)', {
      studyUid: filter.studyInstanceUid,
    });
  }
  if (filter.accessionNumber !== undefined) {
    query.andWhere('transfer.studyId IN (SELECT s.id FROM studies s WHERE s.accession_number = :accession)', {
      accession: filter.accessionNumber,
    });
  }
  if (hiddenStudyIds !== undefined && hiddenStudyIds.length > 0) {
    query.andWhere('transfer.studyId NOT IN (:...hiddenStudyIds)', { hiddenStudyIds });
  }
}

/** Brings the transfer's report flag up to date with its instances (an SR or PDF among them). */
async function refreshReportFlag(manager: EntityManager, transferId: string): Promise<void> {
  await manager.query(
    `UPDATE transfers t
        JOIN (SELECT MIN(i.received_at) AS first_report FROM transfer_instances ti
                JOIN instances i ON i.id = ti.instance_id
               WHERE ti.transfer_id = ? AND i.sop_class_uid IN (?)) r
         SET t.has_report = r.first_report IS NOT NULL, t.report_received_at = r.first_report
       WHERE t.id = ?`,
    [transferId, REPORT_SOP_CLASSES, transferId],
  );
}

@Injectable()
export class TransferRepository {
  constructor(
    @InjectRepository(TransferEntity) private readonly repository: Repository<TransferEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Creates the study's transfer, or returns the one already there (a job may run twice). */
  async createForStudy(values: NewTransfer): Promise<{ transfer: Transfer; created: boolean }> {
    const result = await this.repository.createQueryBuilder().insert().values(values).orIgnore().execute();
    const transfer = await this.repository.findOneByOrFail({ studyId: values.studyId });
    return { transfer, created: (result.raw as { affectedRows?: number }).affectedRows === 1 };
  }

  async getById(id: string): Promise<Transfer | null> {
    return this.repository.findOneBy({ id });
  }

  async getByStudy(studyId: string): Promise<Transfer | null> {
    return this.repository.findOneBy({ studyId });
  }

  async getByStates(states: TransferState[]): Promise<Transfer[]> {
    return this.repository
      .createQueryBuilder('transfer')
      .where('transfer.state IN (:...states)', { states })
      .orderBy('transfer.expiresAt', 'ASC')
      .getMany();
  }

  /** The recipient's transfers in the given states (its folders, as a pulling node sees them). */
  async getForRecipient(recipientTrustId: string, states: TransferState[]): Promise<Transfer[]> {
    return this.repository
      .createQueryBuilder('transfer')
      .where('transfer.recipientTrustId = :recipientTrustId AND transfer.state IN (:...states)', {
        recipientTrustId,
        states,
      })
      .orderBy('transfer.createdAt', 'ASC')
      .getMany();
  }

  /** Live transfers whose folder time is up. */
  async getDueForExpiry(now: Date): Promise<Transfer[]> {
    return this.repository
      .createQueryBuilder('transfer')
      .where("transfer.state <> 'expired' AND transfer.expiresAt <= :now", { now })
      .getMany();
  }

  async list(filter: TransferFilter): Promise<Transfer[]> {
    const query = this.repository.createQueryBuilder('transfer').orderBy('transfer.createdAt', 'DESC');
    applyTransferFilter(query, filter, await this.restrictedStudyIds(filter));
    return query.getMany();
  }

  /**
   * One page of a listing, with what a list shows of each transfer's study and its delivered/total counts:
   * two queries however many transfers match (three when restricted studies are hidden). The count; then the page as a deferred join, where the inner
   * query sorts and limits transfer ids alone (an index scan for the newest-first default) and only the page's
   * rows are joined to their study and have their instances counted.
   */
  async page(filter: TransferFilter, page: TransferPageRequest): Promise<{ total: number; rows: TransferPageRow[] }> {
    const base = this.repository.createQueryBuilder('transfer');
    applyTransferFilter(base, filter, await this.restrictedStudyIds(filter));
    const counted = await base.clone().select('COUNT(*)', 'n').getRawOne<{ n: string | number }>();
    const total = Number(counted?.n ?? 0);
    if (total === 0 || page.offset >= total) {
      return { total, rows: [] };
    }
    // Ties break on the id in the same direction, so the default order is one backward scan of created_at's index.
    const direction = page.order === 'asc' ? 'ASC' : 'DESC';
    const ids = base.select('transfer.id', 'id');
    if (page.sort === 'received' && !selectiveFilter(filter)) {
      // Newest first within a trust, a state or a folder: walking created_at's index back stops after a page of
      // matches, where MariaDB's own choice (merging the sender and recipient indexes) sorts all of the trust's
      // transfers first (60 ms for 16,000 of them against 1 ms). A patient, study or accession filter is
      // left to the optimizer: its index finds the few rows at once.
      ids.useIndex('idx_transfers_created');
    }
    let sortKey: string;
    if (page.sort === 'exchange') {
      // By sender then recipient code: each trust id's place in code order, so no join and a cheap sort key.
      const trusts = (await this.dataSource.query('SELECT id FROM trusts ORDER BY code')) as Array<{ id: string }>;
      const order = trusts.map((trust) => trust.id);
      ids.setParameter('trustOrder', order);
      sortKey = `FIELD(transfer.senderTrustId, :...trustOrder) * ${order.length + 1} + FIELD(transfer.recipientTrustId, :...trustOrder)`;
    } else if (page.sort === 'studyDate') {
      ids.leftJoin(StudyEntity, 'sort_study', 'sort_study.id = transfer.studyId');
      sortKey = 'sort_study.studyDate';
    } else {
      sortKey = SORT_COLUMNS[page.sort];
    }
    ids
      .addSelect(sortKey, 'sort_key')
      .orderBy(sortKey, direction)
      .addOrderBy('transfer.id', direction)
      .offset(page.offset)
      .limit(page.limit);
    const [idsSql, parameters] = ids.getQueryAndParameters();
    const raw = (await this.dataSource.query(
      `SELECT t.*, s.modalities_in_study, s.study_date, s.study_description,
              (SELECT COUNT(*) FROM transfer_instances ti
                WHERE ti.transfer_id = t.id AND ti.state = 'delivered') AS delivered_count,
              (SELECT COUNT(*) FROM transfer_instances ti WHERE ti.transfer_id = t.id) AS instance_count
         FROM (${idsSql}) page_ids
         JOIN transfers t ON t.id = page_ids.id
         LEFT JOIN studies s ON s.id = t.study_id
        ORDER BY page_ids.sort_key ${direction}, t.id ${direction}`,
      parameters,
    )) as RawPageRow[];
    return { total, rows: raw.map(pageRow) };
  }

  /**
   * The studies a filter hides as restricted (flagged, or of a restricted patient), by two indexed lookups;
   * undefined when the filter hides none. Restricted studies are few, so the list stays short.
   */
  private async restrictedStudyIds(filter: TransferFilter): Promise<string[] | undefined> {
    if (!filter.hideRestricted) {
      return undefined;
    }
    const patientIds = filter.hideRestricted.patientIds;
    const rows = (await this.dataSource.query(
      patientIds.length > 0
        ? `SELECT id FROM studies WHERE restricted = 1
           UNION SELECT id FROM studies WHERE patient_id IN (${patientIds.map(() => '?').join(', ')})`
        : 'SELECT id FROM studies WHERE restricted = 1',
      patientIds,
    )) as Array<{ id: string }>;
    return rows.map((row) => row.id);
  }

  /** Moves a transfer between states; false when it was in none of the `from` states. */
  async transition(
    id: string,
    from: TransferState[],
    to: TransferState,
    values: { expiredAt?: Date; lastError?: string | null; deliveredAt?: Date } = {},
  ): Promise<boolean> {
    return transitionState(this.repository, id, from, to, values);
  }

  /**
   * Adds every instance of the study not yet in the transfer as pending, and brings the report flag
   * up to date. Returns the instances added (the late arrivals, after the first call).
   */
  async addStudyInstances(transferId: string, studyId: string): Promise<Array<{ id: string; sopClassUid: string }>> {
    return this.dataSource.transaction(async (manager) => {
      const added = (await manager.query(
        `SELECT i.id, i.sop_class_uid AS sopClassUid FROM instances i
           LEFT JOIN transfer_instances ti ON ti.instance_id = i.id AND ti.transfer_id = ?
          WHERE i.study_id = ? AND ti.id IS NULL AND i.purged_at IS NULL
          ORDER BY i.id`,
        [transferId, studyId],
      )) as Array<{ id: string; sopClassUid: string }>;
      if (added.length === 0) {
        // Nothing new (a delivery round while the study arrives, often): no write, no flush.
        return added;
      }
      await manager.query(
        `INSERT IGNORE INTO transfer_instances (transfer_id, instance_id, state) VALUES ${added
          .map(() => "(?, ?, 'pending')")
          .join(', ')}`,
        added.flatMap((row) => [transferId, row.id]),
      );
      await refreshReportFlag(manager, transferId);
      return added;
    });
  }

  /**
   * Makes every instance of the transfer the recipient refused (for now or for good) pending again, for a
   * person's "Retry now": the refusal may have been fixed at the recipient. Returns how many.
   */
  async requeueFailedInstances(transferId: string): Promise<number> {
    const result = (await this.dataSource.query(
      `UPDATE transfer_instances SET state = 'pending' WHERE transfer_id = ? AND state = 'failed'`,
      [transferId],
    )) as { affectedRows: number };
    return result.affectedRows;
  }

  /** Whether any instance of the transfer waits to be sent (e.g. one re-sent after failing here). */
  async hasPendingInstances(transferId: string): Promise<boolean> {
    const rows = (await this.dataSource.query(
      `SELECT 1 FROM transfer_instances WHERE transfer_id = ? AND state = 'pending' LIMIT 1`,
      [transferId],
    )) as unknown[];
    return rows.length > 0;
  }

  /**
   * The study's instances a delivery still arriving may send: those not yet in the transfer (stored since
   * it last looked) and those in it never answered, oldest first, whose files are still there.
   */
  async getUnsentOfStudy(transferId: string, studyId: string): Promise<PendingInstance[]> {
    return (await this.dataSource.query(
      `SELECT i.id, i.sop_class_uid AS sopClassUid, i.sop_instance_uid AS sopInstanceUid,
              i.transfer_syntax_uid AS transferSyntaxUid, i.storage_path AS storagePath
         FROM instances i LEFT JOIN transfer_instances ti ON ti.instance_id = i.id AND ti.transfer_id = ?
        WHERE i.study_id = ? AND i.purged_at IS NULL AND (ti.id IS NULL OR ti.state = 'pending')
        ORDER BY i.id`,
      [transferId, studyId],
    )) as PendingInstance[];
  }

  /**
   * What a delivery still arriving checks as it goes, in one cheap look: the transfer's state, its
   * study's, and how many instances the study holds and the newest one (whether anything was stored since).
   */
  async lookWhileArriving(
    transferId: string,
    studyId: string,
  ): Promise<
    { state: TransferState; studyState: string; instances: number; lastInstanceId: string | null } | undefined
  > {
    const [row] = (await this.dataSource.query(
      `SELECT t.state, s.state AS studyState, n.instances, n.lastInstanceId
         FROM transfers t JOIN studies s ON s.id = t.study_id
         JOIN (SELECT COUNT(*) AS instances, MAX(i.id) AS lastInstanceId FROM instances i WHERE i.study_id = ?) n
        WHERE t.id = ?`,
      [studyId, transferId],
    )) as Array<{
      state: TransferState;
      studyState: string;
      instances: string | number;
      lastInstanceId: string | null;
    }>;
    return row && { ...row, instances: Number(row.instances) };
  }

  /**
   * The transfer's instances worth sending, oldest first, whose files are still there: those never
   * answered, and those the recipient refused only for now (out of resources, 0xA7xx). One it refused
   * for good (no presentation context, a failure status) is not sent again. With `notYetSent`, only
   * those never answered (what a round sends while the study arrives).
   */
  async getUndelivered(transferId: string, options: { notYetSent?: boolean } = {}): Promise<PendingInstance[]> {
    const worthSending = options.notYetSent
      ? "ti.state = 'pending'"
      : `(ti.state = 'pending' OR (ti.state = 'failed' AND ti.last_status BETWEEN ${OUT_OF_RESOURCES_RANGE.first} AND ${OUT_OF_RESOURCES_RANGE.last}))`;
    return (await this.dataSource.query(
      `SELECT i.id, i.sop_class_uid AS sopClassUid, i.sop_instance_uid AS sopInstanceUid,
              i.transfer_syntax_uid AS transferSyntaxUid, i.storage_path AS storagePath
         FROM transfer_instances ti JOIN instances i ON i.id = ti.instance_id
        WHERE ti.transfer_id = ? AND ${worthSending} AND i.purged_at IS NULL
        ORDER BY i.id`,
      [transferId],
    )) as PendingInstance[];
  }

  /**
   * Records what the recipient answered for each instance of one delivery attempt, in one transaction
   * (one commit: 500 rows a statement). An instance not yet in the transfer joins it with its answer:
   * one sent while its study still arrives, found after the transfer last looked; only then can the
   * report flag change.
   */
  async recordOutcomes(
    transferId: string,
    outcomes: Array<{ instanceId: string; delivered: boolean; status: number | null; error: string | null }>,
    at: Date,
  ): Promise<void> {
    if (outcomes.length === 0) {
      return;
    }
    await this.dataSource.transaction(async (manager) => {
      let joined = false;
      for (let offset = 0; offset < outcomes.length; offset += 500) {
        const batch = outcomes.slice(offset, offset + 500);
        const result = (await manager.query(
          `INSERT INTO transfer_instances (transfer_id, instance_id, state, last_status, last_error, delivered_at)
           VALUES ${batch.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}
           ON DUPLICATE KEY UPDATE state = VALUES(state), last_status = VALUES(last_status),
             last_error = VALUES(last_error), delivered_at = VALUES(delivered_at)`,
          batch.flatMap((outcome) => [
            transferId,
            outcome.instanceId,
            outcome.delivered ? 'delivered' : 'failed',
            outcome.status,
            outcome.error?.slice(0, 500) ?? null,
            outcome.delivered ? at : null,
          ]),
        )) as { affectedRows: number };
        // An updated row counts 2, an inserted one 1 (an unchanged one 0 or 1): fewer than 2 each may mean a join.
        joined ||= result.affectedRows < 2 * batch.length;
      }
      if (joined) {
        await refreshReportFlag(manager, transferId);
      }
    });
  }

  async countByState(transferId: string): Promise<{ delivered: number; total: number }> {
    const [row] = (await this.dataSource.query(
      `SELECT SUM(state = 'delivered') AS delivered, COUNT(*) AS total FROM transfer_instances WHERE transfer_id = ?`,
      [transferId],
    )) as Array<{ delivered: string | number | null; total: string | number }>;
    return { delivered: Number(row?.delivered ?? 0), total: Number(row?.total ?? 0) };
  }

  /**
   * Live transfers (every state but expired) counted by state and folder, with the oldest creation time of
   * each group: one grouped query over the state index, read when metrics are scraped.
   */
  async tallyLive(): Promise<TransferTally[]> {
    const rows = (await this.dataSource.query(
      `SELECT state, folder, COUNT(*) AS count, MIN(created_at) AS oldest FROM transfers
       WHERE state IN (${LIVE_TRANSFER_STATES.map(() => '?').join(', ')}) GROUP BY state, folder`,
      LIVE_TRANSFER_STATES,
    )) as Array<{
      state: TransferState;
      folder: 'emergency' | 'elective';
      count: string | number;
      oldest: Date | string;
    }>;
    return rows.map((row) => ({
      state: row.state,
      folder: row.folder,
      count: Number(row.count),
      oldestCreatedAt: row.oldest instanceof Date ? row.oldest : new Date(`${row.oldest}Z`),
    }));
  }

  /** Notes what could not be applied as configured (e.g. an invalid NHS number kept as it was). */
  async setFlag(transferId: string, flag: string | null): Promise<void> {
    await this.repository.update({ id: transferId }, { flag: flag?.slice(0, 255) ?? null });
  }

  async countAttempt(transferId: string): Promise<void> {
    await this.repository.increment({ id: transferId }, 'attempts', 1);
  }

  async countInstances(transferId: string): Promise<number> {
    const [row] = (await this.dataSource.query('SELECT COUNT(*) AS n FROM transfer_instances WHERE transfer_id = ?', [
      transferId,
    ])) as Array<{ n: string | number }>;
    return Number(row?.n ?? 0);
  }
}
