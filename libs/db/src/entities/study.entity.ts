import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const STUDY_STATES = ['receiving', 'complete', 'routed', 'quarantined', 'discarded', 'expired'] as const;
export type StudyState = (typeof STUDY_STATES)[number];

/**
 * One study as sent by one node to one destination (recipient trust + folder). The same
 * StudyInstanceUID sent by two nodes, or to two destinations, is two rows: each is its own exchange.
 */
@Entity('studies')
@Index('uq_studies_exchange', ['senderNodeId', 'recipientTrustId', 'folder', 'studyInstanceUid'], { unique: true })
@Index('idx_studies_state', ['state', 'lastReceivedAt'])
export class StudyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'sender_node_id', type: 'char', length: 36 })
  senderNodeId: string;

  @Index('idx_studies_sender_trust')
  @Column({ name: 'sender_trust_id', type: 'char', length: 36 })
  senderTrustId: string;

  @Index('idx_studies_recipient_trust')
  @Column({ name: 'recipient_trust_id', type: 'char', length: 36 })
  recipientTrustId: string;

  @Column({ type: 'enum', enum: ['emergency', 'elective'] })
  folder: 'emergency' | 'elective';

  /** The hub AE title the sender addressed (records what the sender asked for). */
  @Column({ name: 'called_ae_title', type: 'varchar', length: 16 })
  calledAeTitle: string;

  @Index('idx_studies_uid')
  @Column({ name: 'study_instance_uid', type: 'varchar', length: 64 })
  studyInstanceUid: string;

  @Index('idx_studies_patient')
  @Column({ name: 'patient_id', type: 'varchar', length: 64, nullable: true })
  patientId: string | null;

  @Column({ name: 'issuer_of_patient_id', type: 'varchar', length: 64, nullable: true })
  issuerOfPatientId: string | null;

  @Column({ name: 'patient_name', type: 'varchar', length: 324, nullable: true })
  patientName: string | null;

  @Column({ name: 'patient_birth_date', type: 'varchar', length: 8, nullable: true })
  patientBirthDate: string | null;

  @Column({ name: 'patient_sex', type: 'varchar', length: 16, nullable: true })
  patientSex: string | null;

  @Column({ name: 'study_date', type: 'varchar', length: 8, nullable: true })
  studyDate: string | null;

  @Column({ name: 'study_time', type: 'varchar', length: 16, nullable: true })
  studyTime: string | null;

  @Index('idx_studies_accession')
  @Column({ name: 'accession_number', type: 'varchar', length: 16, nullable: true })
  accessionNumber: string | null;

  @Column({ name: 'study_description', type: 'varchar', length: 64, nullable: true })
  studyDescription: string | null;

  @Column({ name: 'study_id', type: 'varchar', length: 16, nullable: true })
  studyId: string | null;

  @Column({ type: 'enum', enum: STUDY_STATES, default: 'receiving' })
  state: StudyState;

  @Column({ name: 'quarantine_reason', type: 'varchar', length: 255, nullable: true })
  quarantineReason: string | null;

  /** Sensitive study (staff, public figure): hidden from clinicians, every access a Security Alert. */
  @Index('idx_studies_restricted')
  @Column({ type: 'boolean', default: false })
  restricted: boolean;

  @Column({ name: 'first_received_at', type: 'datetime', precision: 3 })
  firstReceivedAt: Date;

  /** Last arrival known when the study was last checked; the instances table holds the exact value. */
  @Column({ name: 'last_received_at', type: 'datetime', precision: 3 })
  lastReceivedAt: Date;

  @Column({ name: 'completed_at', type: 'datetime', precision: 3, nullable: true })
  completedAt: Date | null;

  /** Counts as of completion (the instances table is the source of truth). */
  @Column({ name: 'instance_count', type: 'int', unsigned: true, default: 0 })
  instanceCount: number;

  @Column({ name: 'total_bytes', type: 'bigint', unsigned: true, default: 0 })
  totalBytes: string;

  @Column({ name: 'modalities_in_study', type: 'varchar', length: 64, nullable: true })
  modalitiesInStudy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
