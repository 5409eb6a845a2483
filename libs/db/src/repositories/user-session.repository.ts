import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThanOrEqual, Repository } from 'typeorm';
import { UserSessionEntity } from '../entities';

export type UserSession = UserSessionEntity;

@Injectable()
export class UserSessionRepository {
  constructor(@InjectRepository(UserSessionEntity) private readonly repository: Repository<UserSessionEntity>) {}

  async create(values: UserSession): Promise<void> {
    await this.repository.insert(values);
  }

  async get(tokenHash: string): Promise<UserSession | null> {
    return this.repository.findOneBy({ tokenHash });
  }

  /** Records the access notice's acknowledgement in the session; false when it was acknowledged already. */
  async acknowledgeNotice(tokenHash: string, at: Date): Promise<boolean> {
    const result = await this.repository.update(
      { tokenHash, noticeAcknowledgedAt: IsNull() },
      { noticeAcknowledgedAt: at },
    );
    return (result.affected ?? 0) > 0;
  }

  async touch(tokenHash: string, at: Date): Promise<void> {
    await this.repository.update({ tokenHash }, { lastSeenAt: at });
  }

  /** True when the session existed. */
  async delete(tokenHash: string): Promise<boolean> {
    return ((await this.repository.delete({ tokenHash })).affected ?? 0) > 0;
  }

  async deleteForUser(userId: string): Promise<void> {
    await this.repository.delete({ userId });
  }

  async deleteExpired(now: Date): Promise<void> {
    await this.repository.delete({ expiresAt: LessThanOrEqual(now) });
  }
}
