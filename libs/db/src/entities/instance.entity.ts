import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One stored SOP instance of a study, with where its file is. */
@Entity('instances')
@Index('uq_instances_study_sop', ['studyId', 'sopInstanceUid'], { unique: true })
@Index('idx_instances_study_received', ['studyId', 'receivedAt'])
@Index('idx_instances_unaudited', ['auditedAt', 'receivedAt'])
export class InstanceEntity {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id: string;

  @Column({ name: 'study_id', type: 'char', length: 36 })
  studyId: string;

  @Column({ name: 'series_instance_uid', type: 'varchar', length: 64 })
  seriesInstanceUid: string;

  @Column({ name: 'sop_instance_uid', type: 'varchar', length: 64 })
  sopInstanceUid: string;

  @Column({ name: 'sop_class_uid', type: 'varchar', length: 64 })
  sopClassUid: string;

  @Column({ name: 'transfer_syntax_uid', type: 'varchar', length: 64 })
  transferSyntaxUid: string;

  @Column({ type: 'varchar', length: 16, nullable: true })
  modality: string | null;

  @Column({ name: 'series_number', type: 'int', nullable: true })
  seriesNumber: number | null;

  @Column({ name: 'instance_number', type: 'int', nullable: true })
  instanceNumber: number | null;

  /** Size of the stored Part-10 file in bytes. */
  @Column({ name: 'size_bytes', type: 'bigint', unsigned: true })
  sizeBytes: string;

  /** Path of the file relative to the storage directory. */
  @Column({ name: 'storage_path', type: 'varchar', length: 400 })
  storagePath: string;

  /** Null once the file has been purged (expiry or discard); the record stays. */
  @Column({ name: 'purged_at', type: 'datetime', precision: 3, nullable: true })
  purgedAt: Date | null;

  @Column({ name: 'received_at', type: 'datetime', precision: 3 })
  receivedAt: Date;

  /** When its instances-stored audit event was written; null until then (see reconciliation). */
  @Column({ name: 'audited_at', type: 'datetime', precision: 3, nullable: true })
  auditedAt: Date | null;
}
