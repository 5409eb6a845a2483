import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An append-only audit event, modelled on DICOM PS3.15 A.5 audit messages. Each row carries the
 * hash of its predecessor, so an edited, inserted or deleted row breaks the chain.
 */
@Entity('audit_events')
@Index('idx_audit_time', ['occurredAt'])
@Index('idx_audit_patient', ['patientId', 'occurredAt'])
@Index('idx_audit_study', ['studyInstanceUid', 'occurredAt'])
@Index('idx_audit_action', ['action', 'occurredAt'])
export class AuditEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id: string;

  @Column({ name: 'occurred_at', type: 'datetime', precision: 3 })
  occurredAt: Date;

  /** PS3.15 A.5 message, e.g. DicomInstancesTransferred, SecurityAlert. */
  @Column({ type: 'varchar', length: 48 })
  action: string;

  /** What happened within the action, e.g. association-rejected, instances-stored. */
  @Column({ type: 'varchar', length: 48 })
  event: string;

  /** PS3.15 EventOutcomeIndicator: 0 success, 4 minor failure, 8 serious failure, 12 major failure. */
  @Column({ type: 'tinyint', unsigned: true })
  outcome: number;

  @Index('idx_audit_actor_ae')
  @Column({ name: 'actor_ae_title', type: 'varchar', length: 16, nullable: true })
  actorAeTitle: string | null;

  @Column({ name: 'actor_address', type: 'varchar', length: 64, nullable: true })
  actorAddress: string | null;

  @Column({ name: 'actor_user', type: 'varchar', length: 128, nullable: true })
  actorUser: string | null;

  @Column({ name: 'source_trust', type: 'varchar', length: 16, nullable: true })
  sourceTrust: string | null;

  @Column({ name: 'destination_trust', type: 'varchar', length: 16, nullable: true })
  destinationTrust: string | null;

  @Column({ name: 'patient_id', type: 'varchar', length: 64, nullable: true })
  patientId: string | null;

  @Column({ name: 'study_instance_uid', type: 'varchar', length: 64, nullable: true })
  studyInstanceUid: string | null;

  @Column({ type: 'json' })
  detail: Record<string, unknown>;

  @Column({ name: 'prev_hash', type: 'char', length: 64 })
  prevHash: string;

  @Column({ type: 'char', length: 64 })
  hash: string;
}

/** The single row that holds the hash of the newest audit event; locking it serialises appends. */
@Entity('audit_chain_head')
export class AuditChainHeadEntity {
  @PrimaryGeneratedColumn({ type: 'tinyint', unsigned: true })
  id: number;

  @Column({ name: 'last_hash', type: 'char', length: 64 })
  lastHash: string;

  @Column({ name: 'last_event_id', type: 'bigint', unsigned: true, default: 0 })
  lastEventId: string;
}
