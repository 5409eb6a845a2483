import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const USER_ROLES = ['operator', 'trust-admin', 'governance', 'clinician'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** A portal account. The password is kept only as a salted scrypt hash. */
@Entity('users')
@Index('uq_users_username', ['username'], { unique: true })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 64 })
  username: string;

  /** scrypt$N$r$p$salt$hash (base64). */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  @Column({ type: 'enum', enum: USER_ROLES })
  role: UserRole;

  /** The trust a trust-admin or clinician belongs to; null for operator and governance. */
  @Index('idx_users_trust')
  @Column({ name: 'trust_id', type: 'char', length: 36, nullable: true })
  trustId: string | null;

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  /** Failed log-ins in a row since the last success or lockout. */
  @Column({ name: 'failed_logins', type: 'int', unsigned: true, default: 0 })
  failedLogins: number;

  @Column({ name: 'locked_until', type: 'datetime', precision: 3, nullable: true })
  lockedUntil: Date | null;

  @Column({ name: 'last_login_at', type: 'datetime', precision: 3, nullable: true })
  lastLoginAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** A portal session: only the SHA-256 of its bearer token is stored. */
@Entity('user_sessions')
@Index('idx_user_sessions_user', ['userId'])
export class UserSessionEntity {
  /** Hex SHA-256 of the bearer token. */
  @Column({ name: 'token_hash', type: 'char', length: 64, primary: true })
  tokenHash: string;

  @Column({ name: 'user_id', type: 'char', length: 36 })
  userId: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'last_seen_at', type: 'datetime', precision: 3 })
  lastSeenAt: Date;

  /** The absolute end of the session, whatever its use. */
  @Index('idx_user_sessions_expires')
  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt: Date;

  /** When the user acknowledged the access notice in this session; until then no patient data is served. */
  @Column({ name: 'notice_acknowledged_at', type: 'datetime', precision: 3, nullable: true })
  noticeAcknowledgedAt: Date | null;
}
