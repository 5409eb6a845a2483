import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const TRANSFER_STATES = [
  'queued',
  'delivering',
  'delivered',
  'partially-delivered',
  'failed',
  'awaiting-pull',
  'suspended',
  'expired',
  /** Stopped by a person (portal "Cancel"): never delivered or pulled again; its files go at expiry as any transfer's. */
  'cancelled',
] as const;
export type TransferState = (typeof TRANSFER_STATES)[number];

/** Every state but expired: the transfer still holds files in its folder and has an expiry pending. */
export const LIVE_TRANSFER_STATES: TransferState[] = TRANSFER_STATES.filter((state) => state !== 'expired');

/** Live, not held by a suspended agreement and not cancelled: what a recipient's pulling node may query and retrieve. */
export const PULLABLE_TRANSFER_STATES: TransferState[] = LIVE_TRANSFER_STATES.filter(
  (state) => state !== 'suspended' && state !== 'cancelled',
);

/** A study filed in a recipient's folder, and its delivery. Written by the router, worked by the forwarder. */
@Entity('transfers')
@Index('uq_transfers_study', ['studyId'], { unique: true })
@Index('idx_transfers_state_expiry', ['state', 'expiresAt'])
@Index('idx_transfers_created', ['createdAt'])
export class TransferEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'study_id', type: 'char', length: 36 })
  studyId: string;

  @Column({ name: 'agreement_id', type: 'char', length: 36 })
  agreementId: string;

  @Index('idx_transfers_sender')
  @Column({ name: 'sender_trust_id', type: 'char', length: 36 })
  senderTrustId: string;

  @Index('idx_transfers_recipient')
  @Column({ name: 'recipient_trust_id', type: 'char', length: 36 })
  recipientTrustId: string;

  @Column({ type: 'enum', enum: ['emergency', 'elective'] })
  folder: 'emergency' | 'elective';

  @Column({ type: 'enum', enum: TRANSFER_STATES })
  state: TransferState;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt: Date;

  @Column({ name: 'has_report', type: 'boolean', default: false })
  hasReport: boolean;

  @Column({ name: 'report_received_at', type: 'datetime', precision: 3, nullable: true })
  reportReceivedAt: Date | null;

  @Column({ name: 'attempts', type: 'int', unsigned: true, default: 0 })
  attempts: number;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  @Column({ name: 'delivered_at', type: 'datetime', precision: 3, nullable: true })
  deliveredAt: Date | null;

  @Column({ name: 'expired_at', type: 'datetime', precision: 3, nullable: true })
  expiredAt: Date | null;

  /** Set when a coercion could not be applied as configured (e.g. an invalid NHS number). */
  @Column({ type: 'varchar', length: 255, nullable: true })
  flag: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** Per-instance outcome of a transfer's delivery (push or pull). */
@Entity('transfer_instances')
@Index('uq_transfer_instances', ['transferId', 'instanceId'], { unique: true })
export class TransferInstanceEntity {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id: string;

  @Column({ name: 'transfer_id', type: 'char', length: 36 })
  transferId: string;

  @Column({ name: 'instance_id', type: 'bigint', unsigned: true })
  instanceId: string;

  @Column({ type: 'enum', enum: ['pending', 'delivered', 'failed'], default: 'pending' })
  state: 'pending' | 'delivered' | 'failed';

  /** DIMSE status the recipient answered, as a number. */
  @Column({ name: 'last_status', type: 'int', unsigned: true, nullable: true })
  lastStatus: number | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  @Column({ name: 'delivered_at', type: 'datetime', precision: 3, nullable: true })
  deliveredAt: Date | null;
}
