import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type AgreementSource = 'config' | 'api';

/** A sharing agreement: studies may flow from one trust to another in the listed folders. */
@Entity('agreements')
@Index('uq_agreements_pair', ['fromTrustId', 'toTrustId'], { unique: true })
export class AgreementEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'from_trust_id', type: 'char', length: 36 })
  fromTrustId: string;

  @Index('idx_agreements_to')
  @Column({ name: 'to_trust_id', type: 'char', length: 36 })
  toTrustId: string;

  /** Folder names (emergency, elective). */
  @Column({ type: 'json' })
  folders: string[];

  /** Modalities covered; null covers every modality. */
  @Column({ type: 'json', nullable: true })
  modalities: string[] | null;

  @Column({ name: 'active_from', type: 'datetime', precision: 3, nullable: true })
  activeFrom: Date | null;

  @Column({ name: 'active_until', type: 'datetime', precision: 3, nullable: true })
  activeUntil: Date | null;

  @Column({ type: 'boolean', default: false })
  suspended: boolean;

  /** False once removed from the configuration: a removed agreement allows nothing. */
  @Column({ type: 'boolean', default: true })
  active: boolean;

  @Column({ type: 'enum', enum: ['config', 'api'], default: 'config' })
  source: AgreementSource;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
