import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { transitionState } from './state-transition';
import { TransferEntity, TransferState } from '../entities';

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
    if (filter.hideRestricted) {
      const ids = filter.hideRestricted.patientIds;
      query.andWhere(
        `transfer.studyId NOT IN (SELECT s.id FROM studies s WHERE s.restricted = 1${
          ids.length > 0 ? ' OR s.patient_id IN (:...restrictedPatientIds)' : ''
        })`,
        { restrictedPatientIds: ids },
      );
    }
    return query.getMany();
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
      await manager.query(
        `UPDATE transfers t
            JOIN (SELECT MIN(i.received_at) AS first_report FROM transfer_instances ti
                    JOIN instances i ON i.id = ti.instance_id
                   WHERE ti.transfer_id = ? AND i.sop_class_uid IN (?)) r
             SET t.has_report = r.first_report IS NOT NULL, t.report_received_at = r.first_report
           WHERE t.id = ?`,
        [transferId, REPORT_SOP_CLASSES, transferId],
      );
      return added;
    });
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
      : `(ti.state = 'pending' OR (ti.state = 'failed' AND ti.last_status BETWEEN ${0xa700} AND ${0xa7ff}))`;
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
   * Records what the recipient answered for each instance of one delivery attempt: one transaction,
   * one UPDATE per distinct answer (nearly always a single "delivered, 0x0000" for the whole batch).
   */
  async recordOutcomes(
    transferId: string,
    outcomes: Array<{ instanceId: string; delivered: boolean; status: number | null; error: string | null }>,
    at: Date,
  ): Promise<void> {
    const groups = new Map<string, { values: unknown[]; instanceIds: string[] }>();
    for (const outcome of outcomes) {
      const values = [
        outcome.delivered ? 'delivered' : 'failed',
        outcome.status,
        outcome.error?.slice(0, 500) ?? null,
        outcome.delivered ? at : null,
      ];
      const key = JSON.stringify(values);
      const group = groups.get(key) ?? { values, instanceIds: [] };
      group.instanceIds.push(outcome.instanceId);
      groups.set(key, group);
    }
    if (groups.size === 0) {
      return;
    }
    await this.dataSource.transaction(async (manager) => {
      for (const { values, instanceIds } of groups.values()) {
        for (let offset = 0; offset < instanceIds.length; offset += 1000) {
          await manager.query(
            `UPDATE transfer_instances SET state = ?, last_status = ?, last_error = ?, delivered_at = ?
              WHERE transfer_id = ? AND instance_id IN (?)`,
            [...values, transferId, instanceIds.slice(offset, offset + 1000)],
          );
        }
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
