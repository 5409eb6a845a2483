import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { NodeEntity } from '../entities';

export type DicomNode = Omit<NodeEntity, 'createdAt' | 'updatedAt'>;
export type DicomNodeValues = Omit<DicomNode, 'id'>;

@Injectable()
export class NodeRepository {
  constructor(@InjectRepository(NodeEntity) private readonly repository: Repository<NodeEntity>) {}

  async getAll(): Promise<DicomNode[]> {
    return (await this.repository.find({ order: { aeTitle: 'ASC' } })).map(mapNode);
  }

  /** The trust's active nodes that take pushed studies. */
  async getPushNodes(trustId: string): Promise<DicomNode[]> {
    return (await this.repository.findBy({ trustId, active: true, receiveMode: 'push' })).map(mapNode);
  }

  async getById(id: string): Promise<DicomNode | null> {
    const row = await this.repository.findOneBy({ id });
    return row ? mapNode(row) : null;
  }

  /**
   * The node with exactly this AE title. The column's collation compares ignoring case (which keeps two
   * titles differing only in case out of the table), but AE titles match case-sensitively, as the
   * association policy matches them: "ra7_pacs" is not RA7_PACS.
   */
  async getByAeTitle(aeTitle: string): Promise<DicomNode | null> {
    const row = await this.repository.findOneBy({ aeTitle });
    return row && row.aeTitle === aeTitle ? mapNode(row) : null;
  }

  async create(values: DicomNodeValues): Promise<DicomNode> {
    return mapNode(await this.repository.save(this.repository.create(values)));
  }

  async update(id: string, values: Partial<DicomNodeValues>): Promise<void> {
    await this.repository.update({ id }, values);
  }
}

function mapNode(row: NodeEntity): DicomNode {
  return {
    id: row.id,
    trustId: row.trustId,
    aeTitle: row.aeTitle,
    host: row.host,
    port: row.port,
    allowedIps: row.allowedIps,
    canSend: row.canSend,
    receiveMode: row.receiveMode,
    maxAssociations: row.maxAssociations,
    queryRetrieve: row.queryRetrieve,
    tlsSubject: row.tlsSubject,
    active: row.active,
  };
}
