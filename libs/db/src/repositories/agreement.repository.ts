import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AgreementEntity } from '../entities';

export type Agreement = Omit<AgreementEntity, 'createdAt' | 'updatedAt'>;
export type AgreementValues = Omit<Agreement, 'id'>;

@Injectable()
export class AgreementRepository {
  constructor(@InjectRepository(AgreementEntity) private readonly repository: Repository<AgreementEntity>) {}

  async getAll(): Promise<Agreement[]> {
    return (await this.repository.find()).map(mapAgreement);
  }

  /** The agreement for studies flowing from one trust to another (active or not), if there is one. */
  async getBetween(fromTrustId: string, toTrustId: string): Promise<Agreement | null> {
    const row = await this.repository.findOneBy({ fromTrustId, toTrustId });
    return row ? mapAgreement(row) : null;
  }

  async getById(id: string): Promise<Agreement | null> {
    const row = await this.repository.findOneBy({ id });
    return row ? mapAgreement(row) : null;
  }

  async create(values: AgreementValues): Promise<Agreement> {
    return mapAgreement(await this.repository.save(this.repository.create(values)));
  }

  async update(id: string, values: Partial<AgreementValues>): Promise<void> {
    await this.repository.update({ id }, values);
  }
}

function mapAgreement(row: AgreementEntity): Agreement {
  return {
    id: row.id,
    fromTrustId: row.fromTrustId,
    toTrustId: row.toTrustId,
    folders: row.folders,
    modalities: row.modalities,
    activeFrom: row.activeFrom,
    activeUntil: row.activeUntil,
    suspended: row.suspended,
    active: row.active,
    source: row.source,
  };
}
