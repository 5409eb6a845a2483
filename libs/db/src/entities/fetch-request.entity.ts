import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const FETCH_STATES = ['queued', 'querying', 'retrieving', 'completed', 'partially-completed', 'failed'] as const;
export type FetchState = (typeof FETCH_STATES)[number];

/**
 * "Source it": a request to fetch a study held at one trust (the source, queried and retrieved by
 * the hub) for another trust's folder. The study the source sends back is stored and routed like
 * any sent study; this row tracks the request, its progress and its outcome.
 */
@Entity('fetch_requests')
@Index('idx_fetch_requests_source_study', ['sourceNodeId', 'studyInstanceUid', 'state'])
export class FetchRequestEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'source_trust_id', type: 'char', length: 36 })
  sourceTrustId: string;

  /** The source's query/retrieve node the hub C-FINDs and C-MOVEs. */
  @Column({ name: 'source_node_id', type: 'char', length: 36 })
  sourceNodeId: string;

  @Index('idx_fetch_requests_recipient')
  @Column({ name: 'recipient_trust_id', type: 'char', length: 36 })
  recipientTrustId: string;

  @Column({ type: 'enum', enum: ['emergency', 'elective'] })
  folder: 'emergency' | 'elective';

  /** Asked for, or found by the C-FIND from accession number and patient ID. */
  @Column({ name: 'study_instance_uid', type: 'varchar', length: 64, nullable: true })
  studyInstanceUid: string | null;

  @Column({ name: 'accession_number', type: 'varchar', length: 16, nullable: true })
  accessionNumber: string | null;

  @Column({ name: 'patient_id', type: 'varchar', length: 64, nullable: true })
  patientId: string | null;

  @Column({ type: 'enum', enum: FETCH_STATES, default: 'queued' })
  state: FetchState;

  /** NumberOfStudyRelatedInstances from the source's C-FIND, then the C-MOVE's sub-operation total. */
  @Column({ name: 'expected_instances', type: 'int', unsigned: true, nullable: true })
  expectedInstances: number | null;

  @Column({ name: 'completed_instances', type: 'int', unsigned: true, default: 0 })
  completedInstances: number;

  @Column({ name: 'failed_instances', type: 'int', unsigned: true, default: 0 })
  failedInstances: number;

  /** Who asked: a portal user or the CLI. */
  @Column({ name: 'requested_by', type: 'varchar', length: 64 })
  requestedBy: string;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  @Column({ name: 'completed_at', type: 'datetime', precision: 3, nullable: true })
  completedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
