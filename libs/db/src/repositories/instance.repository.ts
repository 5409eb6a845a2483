import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, Repository } from 'typeorm';
import { InstanceEntity } from '../entities';

export interface StoredInstance {
  studyId: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  modality?: string;
  seriesNumber?: number;
  instanceNumber?: number;
  sizeBytes: number;
  storagePath: string;
  receivedAt: Date;
}

export type InstanceRecord = Omit<InstanceEntity, 'id'> & { id: string };

@Injectable()
export class InstanceRepository {
  constructor(@InjectRepository(InstanceEntity) private readonly repository: Repository<InstanceEntity>) {}

  /**
   * Records a stored instance in one auto-committed statement, or updates the row of one stored again
   * (same study and SOP Instance UID), so a study holds each SOP Instance UID once. Returns its id. An
   * instance stored again is made deliverable again where it had failed for a local reason, and waits
   * for an audit event of its own.
   */
  async recordStored(instance: StoredInstance): Promise<{ id: string; outcome: 'inserted' | 'updated' }> {
    const result = (await this.repository.query(
      `INSERT INTO instances (study_id, series_instance_uid, sop_instance_uid, sop_class_uid, transfer_syntax_uid,
         modality, series_number, instance_number, size_bytes, storage_path, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), audited_at = NULL,
         series_instance_uid = VALUES(series_instance_uid), sop_class_uid = VALUES(sop_class_uid),
         transfer_syntax_uid = VALUES(transfer_syntax_uid), modality = VALUES(modality),
         series_number = VALUES(series_number), instance_number = VALUES(instance_number),
         size_bytes = VALUES(size_bytes), storage_path = VALUES(storage_path), received_at = VALUES(received_at),
         purged_at = NULL`,
      [
        instance.studyId,
        instance.seriesInstanceUid,
        instance.sopInstanceUid,
        instance.sopClassUid,
        instance.transferSyntaxUid,
        instance.modality?.slice(0, 16) ?? null,
        instance.seriesNumber ?? null,
        instance.instanceNumber ?? null,
        instance.sizeBytes,
        instance.storagePath,
        instance.receivedAt,
      ],
    )) as { affectedRows: number; insertId: number | string };
    const id = String(result.insertId);
    if (result.affectedRows === 1) {
      return { id, outcome: 'inserted' };
    }
    // Sent again: a delivery that failed here, for a local reason (no status from the recipient, e.g. the
    // file was in doubt after a MySQL outage), may go again now that the file is back.
    await this.repository.query(
      `UPDATE transfer_instances ti JOIN instances i ON i.id = ti.instance_id
          SET ti.state = 'pending', ti.last_error = NULL
        WHERE i.study_id = ? AND i.sop_instance_uid = ? AND ti.state = 'failed' AND ti.last_status IS NULL`,
      [instance.studyId, instance.sopInstanceUid],
    );
    return { id, outcome: 'updated' };
  }

  /** Notes that these instances' instances-stored audit event has been written. */
  async markAudited(ids: string[], at: Date): Promise<void> {
    if (ids.length > 0) {
      await this.repository.update({ id: In(ids) }, { auditedAt: at });
    }
  }

  /**
   * Instances acknowledged before `until` whose audit event was never written (the receiver died
   * first), oldest first, at most `limit`.
   */
  async getUnaudited(until: Date, limit: number): Promise<InstanceRecord[]> {
    return this.repository
      .createQueryBuilder('instance')
      .where('instance.auditedAt IS NULL AND instance.receivedAt < :until AND instance.purgedAt IS NULL', { until })
      .orderBy('instance.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  async removeRecord(studyId: string, sopInstanceUid: string): Promise<void> {
    await this.repository.delete({ studyId, sopInstanceUid });
  }

  /** Instances received in [from, until) whose file should exist, and its size: what reconciliation checks. */
  async getStoredBetween(
    from: Date,
    until: Date,
  ): Promise<Array<{ id: string; storagePath: string; sizeBytes: string }>> {
    return this.repository
      .createQueryBuilder('instance')
      .select(['instance.id', 'instance.storagePath', 'instance.sizeBytes'])
      .where('instance.receivedAt >= :from AND instance.receivedAt < :until AND instance.purgedAt IS NULL', {
        from,
        until,
      })
      .getMany();
  }

  async removeById(ids: string[]): Promise<void> {
    if (ids.length > 0) {
      await this.repository.delete(ids);
    }
  }

  /** The instances of these studies whose files are still there, in arrival order. */
  async getStoredForStudies(studyIds: string[]): Promise<InstanceRecord[]> {
    return studyIds.length === 0
      ? []
      : this.repository.find({ where: { studyId: In(studyIds), purgedAt: IsNull() }, order: { id: 'ASC' } });
  }

  async getForStudy(studyId: string): Promise<InstanceRecord[]> {
    return this.repository.find({ where: { studyId }, order: { id: 'ASC' } });
  }

  /**
   * Marks the given instances of a study purged (the rows stay, for the record). Only those whose
   * files were removed: an instance that arrived meanwhile still has its file.
   */
  async markPurged(studyId: string, instanceIds: string[], at: Date): Promise<void> {
    if (instanceIds.length === 0) {
      return;
    }
    await this.repository
      .createQueryBuilder()
      .update()
      .set({ purgedAt: at })
      .where('study_id = :studyId AND id IN (:...instanceIds) AND purged_at IS NULL', { studyId, instanceIds })
      .execute();
  }
}
