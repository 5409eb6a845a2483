import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { In, Repository } from 'typeorm';
import { transitionState } from './state-transition';
import { StudyEntity, StudyState } from '../entities';

export type Study = Omit<StudyEntity, 'createdAt' | 'updatedAt'>;

/** What identifies one exchange of a study: who sent it, to whom, in which folder. */
export interface StudyExchangeKey {
  senderNodeId: string;
  senderTrustId: string;
  recipientTrustId: string;
  folder: 'emergency' | 'elective';
  calledAeTitle: string;
  studyInstanceUid: string;
}

/** Study-level attributes taken from the first instance that opens the study. */
export interface StudyAttributes {
  patientId?: string;
  issuerOfPatientId?: string;
  patientName?: string;
  patientBirthDate?: string;
  patientSex?: string;
  studyDate?: string;
  studyTime?: string;
  accessionNumber?: string;
  studyDescription?: string;
  studyId?: string;
}

@Injectable()
export class StudyRepository {
  constructor(@InjectRepository(StudyEntity) private readonly repository: Repository<StudyEntity>) {}

  /**
   * Opens (or re-opens for a new arrival) the study of an exchange and returns its id. Idempotent:
   * the unique exchange key makes concurrent associations for the same study meet on one row.
   */
  /** The study this instance belongs to, made on its first instance; with its state as the arrival finds it. */
  async upsertForArrival(
    key: StudyExchangeKey,
    attributes: StudyAttributes,
    at: Date,
  ): Promise<{ id: string; state: StudyState }> {
    await this.repository.query(
      `INSERT INTO studies (id, sender_node_id, sender_trust_id, recipient_trust_id, folder, called_ae_title,
         study_instance_uid, patient_id, issuer_of_patient_id, patient_name, patient_birth_date, patient_sex,
         study_date, study_time, accession_number, study_description, study_id, state,
         first_received_at, last_received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'receiving', ?, ?)
       ON DUPLICATE KEY UPDATE last_received_at = GREATEST(last_received_at, VALUES(last_received_at))`,
      [
        randomUUID(),
        key.senderNodeId,
        key.senderTrustId,
        key.recipientTrustId,
        key.folder,
        key.calledAeTitle,
        key.studyInstanceUid,
        cut(attributes.patientId, 64),
        cut(attributes.issuerOfPatientId, 64),
        cut(attributes.patientName, 324),
        cut(attributes.patientBirthDate, 8),
        cut(attributes.patientSex, 16),
        cut(attributes.studyDate, 8),
        cut(attributes.studyTime, 16),
        cut(attributes.accessionNumber, 16),
        cut(attributes.studyDescription, 64),
        cut(attributes.studyId, 16),
        at,
        at,
      ],
    );
    const row = await this.repository.findOne({
      select: { id: true, state: true },
      where: {
        senderNodeId: key.senderNodeId,
        recipientTrustId: key.recipientTrustId,
        folder: key.folder,
        studyInstanceUid: key.studyInstanceUid,
      },
    });
    if (!row) {
      throw new Error(`study ${key.studyInstanceUid} vanished after upsert`);
    }
    return { id: row.id, state: row.state };
  }

  async getById(id: string): Promise<Study | null> {
    return this.repository.findOneBy({ id });
  }

  async getByIds(ids: string[]): Promise<Study[]> {
    return ids.length === 0 ? [] : this.repository.findBy({ id: In(ids) });
  }

  /** Every study the hub has seen of one patient (by PatientID) from these sender trusts, newest first. */
  async getByPatient(patientId: string, senderTrustIds: string[]): Promise<Study[]> {
    return senderTrustIds.length === 0
      ? []
      : this.repository.find({
          where: { patientId, senderTrustId: In(senderTrustIds) },
          order: { firstReceivedAt: 'DESC' },
          take: 500,
        });
  }

  async getByState(state: StudyState): Promise<Study[]> {
    return this.repository.find({ where: { state }, order: { completedAt: 'ASC' } });
  }

  /** Moves a study from one of the given states to another; false when it was in none of them. */
  async transition(
    id: string,
    from: StudyState[],
    to: StudyState,
    values: { quarantineReason?: string | null } = {},
  ): Promise<boolean> {
    return transitionState(this.repository, id, from, to, values);
  }

  /** Studies still receiving: the work a completion sweep must (re)schedule. */
  async getReceiving(): Promise<Array<{ id: string; lastReceivedAt: Date }>> {
    const rows = await this.repository.find({
      select: { id: true, lastReceivedAt: true },
      where: { state: 'receiving' },
      order: { lastReceivedAt: 'ASC' },
    });
    return rows.map((row) => ({ id: row.id, lastReceivedAt: row.lastReceivedAt }));
  }

  /** Flags a study sensitive (or not); false when there is no such study. */
  async setRestricted(id: string, restricted: boolean): Promise<boolean> {
    return ((await this.repository.update({ id }, { restricted })).affected ?? 0) > 0;
  }

  /** Newest instance arrival for the study, from the instances table (the exact value). */
  async getLastArrival(studyId: string): Promise<Date | null> {
    const [row] = (await this.repository.query('SELECT MAX(received_at) AS last FROM instances WHERE study_id = ?', [
      studyId,
    ])) as Array<{ last: Date | null }>;
    return row?.last ?? null;
  }

  /**
   * Marks a receiving study complete with its counts. Returns false when it was not receiving
   * (already completed by another run of the same job).
   */
  async markComplete(studyId: string, at: Date): Promise<boolean> {
    const result = (await this.repository.query(
      `UPDATE studies s
         JOIN (SELECT COUNT(*) AS n, COALESCE(SUM(size_bytes), 0) AS bytes, MAX(received_at) AS last,
                      GROUP_CONCAT(DISTINCT modality ORDER BY modality SEPARATOR '\\\\') AS modalities
                 FROM instances WHERE study_id = ?) i
          SET s.state = 'complete', s.completed_at = ?, s.instance_count = i.n, s.total_bytes = i.bytes,
              s.last_received_at = COALESCE(i.last, s.last_received_at), s.modalities_in_study = LEFT(i.modalities, 64)
        WHERE s.id = ? AND s.state = 'receiving'`,
      [studyId, at, studyId],
    )) as { affectedRows: number };
    return result.affectedRows === 1;
  }
}

export type StudyFilter = { state?: StudyState };

function cut(value: string | undefined, length: number): string | null {
  return value === undefined || value === '' ? null : value.slice(0, length);
}
