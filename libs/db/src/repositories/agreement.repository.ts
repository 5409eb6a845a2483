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
