import { Inject, Injectable } from '@nestjs/common';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import { AuditEventRepository, NodeRepository, TransferRepository, TrustRepository } from '@hub/db';
import { StudyQueueProducer } from '@hub/queue';
import { statfs } from 'node:fs/promises';
import { OperationsView, PushNodeView, failuresByNode, oldestWaiting } from './operations-view';

// Delivery rounds read for the failure count; an hour of failures beyond this is an outage the queues show anyway.
const MAX_EVENTS = 10_000;

/**
 * What the operator on call watches: each push node's delivery queue, the transfer waiting longest for
 * it, its failed delivery rounds in the last hour, and the storage disk. Read-only.
 */
@Injectable()
export class OperationsService {
  constructor(
    private readonly nodes: NodeRepository,
    private readonly trusts: TrustRepository,
    private readonly transfers: TransferRepository,
    private readonly events: AuditEventRepository,
    private readonly queues: StudyQueueProducer,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async overview(now = new Date()): Promise<OperationsView> {
    const codes = await this.trusts.codesById();
    const pushNodes = (await this.nodes.getAll()).filter((node) => node.active && node.receiveMode === 'push');
    const waiting = await this.transfers.getByStates(['queued', 'delivering']);
    const rounds = await this.events.search(
      { events: ['delivery-attempted'], from: new Date(now.getTime() - 3600_000) },
      0,
      MAX_EVENTS,
    );
    const failures = failuresByNode(rounds);
    const nodes: PushNodeView[] = [];
    for (const node of pushNodes) {
      const counts = await this.queues
        .deliveryQueueFor(node.id)
        .getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
      const oldest = oldestWaiting(waiting.filter((transfer) => transfer.recipientTrustId === node.trustId));
      nodes.push({
        aeTitle: node.aeTitle,
        trust: codes.get(node.trustId) ?? node.trustId,
        host: node.host,
        port: node.port,
        queue: {
          waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          failed: counts.failed ?? 0,
        },
        oldestWaiting: oldest
          ? { transferId: oldest.id, folder: oldest.folder, state: oldest.state, since: oldest.createdAt.toISOString() }
          : null,
        failuresLastHour: failures.get(`${node.aeTitle}@${node.host}:${node.port}`) ?? 0,
      });
    }
    return { checkedAt: now.toISOString(), nodes, storage: await this.storage() };
  }

  private async storage(): Promise<OperationsView['storage']> {
    try {
      const disk = await statfs(this.config.hub.storageDir);
      return { freeBytes: disk.bavail * disk.bsize, totalBytes: disk.blocks * disk.bsize };
    } catch {
      // A missing or unreadable storage directory shows as unknown; the receiver reports it when it writes.
      return null;
    }
  }
}
