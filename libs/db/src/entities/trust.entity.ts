import type { CoercionRule } from '@hub/config';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('trusts')
export class TrustEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** ODS code, e.g. RVJ. */
  @Column({ type: 'varchar', length: 16, unique: true })
  code: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ name: 'patient_id_issuer', type: 'varchar', length: 64 })
  patientIdIssuer: string;

  @Column({ name: 'inbound_emergency_ae', type: 'varchar', length: 16, nullable: true, unique: true })
  inboundEmergencyAe: string | null;

  @Column({ name: 'inbound_elective_ae', type: 'varchar', length: 16, nullable: true, unique: true })
  inboundElectiveAe: string | null;

  /** Coercion rules applied to what this trust receives (a JSON array). */
  @Column({ type: 'json' })
  coercion: CoercionRule[];

  /** False once the trust is removed from the configuration; its history stays. */
  @Column({ type: 'boolean', default: true })
  active: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
