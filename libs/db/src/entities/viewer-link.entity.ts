import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A secure viewer link to one study in a recipient's folder: whoever holds its token may read that study
 * over DICOMweb until it expires or is revoked. Only the token's SHA-256 is stored.
 */
@Entity('viewer_links')
@Index('uq_viewer_links_token', ['tokenHash'], { unique: true })
export class ViewerLinkEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('idx_viewer_links_study')
  @Column({ name: 'study_id', type: 'char', length: 36 })
  studyId: string;

  @Column({ name: 'transfer_id', type: 'char', length: 36 })
  transferId: string;

  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash: string;

  @Column({ name: 'created_by', type: 'varchar', length: 128 })
  createdBy: string;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: 'datetime', precision: 3, nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_by', type: 'varchar', length: 128, nullable: true })
  revokedBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
