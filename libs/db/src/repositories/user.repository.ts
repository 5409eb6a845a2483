import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { UserEntity, UserRole } from '../entities';

export type User = Omit<UserEntity, 'updatedAt'>;

export interface NewUser {
  username: string;
  passwordHash: string;
  role: UserRole;
  trustId: string | null;
}

@Injectable()
export class UserRepository {
  constructor(@InjectRepository(UserEntity) private readonly repository: Repository<UserEntity>) {}

  /** False when the username is taken. */
  async create(values: NewUser): Promise<User | null> {
    const result = await this.repository.createQueryBuilder().insert().values(values).orIgnore().execute();
    if ((result.raw as { affectedRows?: number }).affectedRows !== 1) {
      return null;
    }
    return this.getByUsername(values.username);
  }

  async getByUsername(username: string): Promise<User | null> {
    return this.repository.findOneBy({ username });
  }

  async getById(id: string): Promise<User | null> {
    return this.repository.findOneBy({ id });
  }

  async getAll(): Promise<User[]> {
    return this.repository.find({ order: { username: 'ASC' } });
  }

  async countByRole(role: UserRole): Promise<number> {
    return this.repository.countBy({ role, disabled: false });
  }

  /** Counts one more failed log-in, in one statement (concurrent attempts all count); returns the new count. */
  async countFailure(id: string): Promise<number> {
    await this.repository.increment({ id }, 'failedLogins', 1);
    const row = await this.repository.findOne({ select: { failedLogins: true }, where: { id } });
    return row?.failedLogins ?? 0;
  }

  /** Locks the account until the given time; the failure count starts again from zero. */
  async lock(id: string, until: Date): Promise<void> {
    await this.repository.update({ id }, { lockedUntil: until, failedLogins: 0 });
  }

  async markLoggedIn(id: string, at: Date): Promise<void> {
    await this.repository.update({ id }, { lastLoginAt: at, failedLogins: 0, lockedUntil: null });
  }

  /** Disables or re-enables an account; re-enabling also lifts a lockout. */
  async setDisabled(id: string, disabled: boolean): Promise<void> {
    await this.repository.update({ id }, disabled ? { disabled } : { disabled, failedLogins: 0, lockedUntil: null });
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.repository.update({ id }, { passwordHash });
  }
}
