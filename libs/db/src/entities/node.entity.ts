import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type NodeReceiveMode = 'push' | 'pull' | 'none';

/** A trust's DICOM application entity (PACS, modality, archive). */
@Entity('nodes')
export class NodeEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('idx_nodes_trust')
  @Column({ name: 'trust_id', type: 'char', length: 36 })
  trustId: string;

  @Column({ name: 'ae_title', type: 'varchar', length: 16, unique: true })
  aeTitle: string;

  @Column({ type: 'varchar', length: 255 })
  host: string;

  @Column({ type: 'int', unsigned: true })
  port: number;

  @Column({ name: 'allowed_ips', type: 'json' })
  allowedIps: string[];

  @Column({ name: 'can_send', type: 'boolean' })
  canSend: boolean;

  @Column({ name: 'receive_mode', type: 'enum', enum: ['push', 'pull', 'none'] })
  receiveMode: NodeReceiveMode;

  @Column({ name: 'max_associations', type: 'smallint', unsigned: true })
  maxAssociations: number;

  @Column({ name: 'query_retrieve', type: 'boolean' })
  queryRetrieve: boolean;

  /** Set when the node must connect over DICOM TLS: the subject its certificate must carry. */
  @Column({ name: 'tls_subject', type: 'varchar', length: 255, nullable: true })
  tlsSubject: string | null;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
