import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { FetchRequestEntity, FetchState } from '../entities';
import { transitionState } from './state-transition';

export type FetchRequest = Omit<FetchRequestEntity, 'updatedAt'>;

export type NewFetchRequest = Pick<
  FetchRequest,
  | 'sourceTrustId'
  | 'sourceNodeId'
  | 'recipientTrustId'
  | 'folder'
  | 'studyInstanceUid'
  | 'accessionNumber'
  | 'patientId'
  | 'requestedBy'
>;

@Injectable()
export class FetchRequestRepository {
  constructor(@InjectRepository(FetchRequestEntity) private readonly repository: Repository<FetchRequestEntity>) {}

  async create(values: NewFetchRequest): Promise<FetchRequest> {
    return this.repository.save(this.repository.create({ ...values, state: 'queued' }));
  }

  async getById(id: string): Promise<FetchRequest | null> {
    return this.repository.findOneBy({ id });
  }

  async list(filter: { recipientTrustId?: string; state?: FetchState } = {}): Promise<FetchRequest[]> {
    return this.repository.find({ where: { ...filter }, order: { createdAt: 'DESC' }, take: 500 });
  }

  /** Requests not finished: the sweep re-queues them after a restart. */
  async getUnfinished(): Promise<FetchRequest[]> {
    return this.repository
      .createQueryBuilder('fetch')
      .where('fetch.state IN (:...states)', { states: ['queued', 'querying', 'retrieving'] })
      .getMany();
  }

  /** The fetch a source's C-STORE to the hub AE belongs to: one being retrieved for that study. */
  async getRetrieving(sourceNodeId: string, studyInstanceUid: string): Promise<FetchRequest | null> {
    return this.repository.findOne({
      where: { sourceNodeId, studyInstanceUid, state: 'retrieving' },
      order: { createdAt: 'ASC' },
    });
  }

  async transition(
    id: string,
    from: FetchState[],
    to: FetchState,
    values: Partial<
      Pick<
        FetchRequest,
        | 'studyInstanceUid'
        | 'patientId'
        | 'expectedInstances'
        | 'completedInstances'
        | 'failedInstances'
        | 'lastError'
        | 'completedAt'
      >
    > = {},
  ): Promise<boolean> {
    return transitionState(this.repository, id, from, to, values);
  }

  async recordProgress(id: string, completed: number, failed: number): Promise<void> {
    await this.repository.update({ id }, { completedInstances: completed, failedInstances: failed });
  }
}
