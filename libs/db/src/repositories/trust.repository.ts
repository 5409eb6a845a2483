import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { TrustEntity } from '../entities';

export type Trust = Omit<TrustEntity, 'createdAt' | 'updatedAt'>;
export type TrustValues = Omit<Trust, 'id'>;

@Injectable()
export class TrustRepository {
  constructor(@InjectRepository(TrustEntity) private readonly repository: Repository<TrustEntity>) {}

  async getAll(): Promise<Trust[]> {
    return (await this.repository.find({ order: { code: 'ASC' } })).map(mapTrust);
  }

  /** The trust directory: each trust's code by its id (what audit subjects and views name a trust by). */
  async codesById(): Promise<Map<string, string>> {
    const rows = await this.repository.find({ select: { id: true, code: true } });
    return new Map(rows.map((row) => [row.id, row.code]));
  }

  async getById(id: string): Promise<Trust | null> {
    const row = await this.repository.findOneBy({ id });
    return row ? mapTrust(row) : null;
  }

  async create(values: TrustValues): Promise<Trust> {
    return mapTrust(await this.repository.save(this.repository.create(values)));
  }

  async update(id: string, values: Partial<TrustValues>): Promise<void> {
    await this.repository.update({ id }, values as never);
  }
}

function mapTrust(row: TrustEntity): Trust {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    patientIdIssuer: row.patientIdIssuer,
    inboundEmergencyAe: row.inboundEmergencyAe,
    inboundElectiveAe: row.inboundElectiveAe,
    coercion: row.coercion,
    active: row.active,
  };
}
