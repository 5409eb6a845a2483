import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { ViewerLinkEntity } from '../entities';

export type ViewerLink = ViewerLinkEntity;

export type NewViewerLink = Pick<ViewerLink, 'studyId' | 'transferId' | 'tokenHash' | 'createdBy' | 'expiresAt'>;

@Injectable()
export class ViewerLinkRepository {
  constructor(@InjectRepository(ViewerLinkEntity) private readonly repository: Repository<ViewerLinkEntity>) {}

  async create(values: NewViewerLink): Promise<ViewerLink> {
    return this.repository.save(this.repository.create({ ...values, revokedAt: null, revokedBy: null }));
  }

  async getById(id: string): Promise<ViewerLink | null> {
    return this.repository.findOneBy({ id });
  }

  async getByTokenHash(tokenHash: string): Promise<ViewerLink | null> {
    return this.repository.findOneBy({ tokenHash });
  }

  async listForStudy(studyId: string): Promise<ViewerLink[]> {
    return this.repository.find({ where: { studyId }, order: { createdAt: 'DESC' } });
  }

  /** Revokes a link not revoked yet; false when it already was. */
  async revoke(id: string, by: string, at: Date): Promise<boolean> {
    const result = await this.repository.update({ id, revokedAt: IsNull() }, { revokedAt: at, revokedBy: by });
    return (result.affected ?? 0) > 0;
  }
}
