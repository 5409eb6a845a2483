import { Injectable, OnModuleInit } from '@nestjs/common';
import { NodeRepository, TransferRepository } from '@hub/db';
import { StudyQueueProducer } from '@hub/queue';
import { HubMetrics } from './hub-metrics';

/** The delivery queue states shown per push node: waiting (ready or prioritised), delayed (backing off), active. */
const QUEUE_STATES = { waiting: ['wait', 'prioritized'], delayed: ['delayed'], active: ['active'] } as const;

/**
 * Gauges read from MySQL and Redis when scraped: live transfers by state, each push node's delivery queue,
 * and how long the oldest queued emergency transfer has waited. The forwarder registers them (one process
 * answers for the whole hub's queues; with every app in one process, that one).
 */
@Injectable()
export class DeliveryGauges implements OnModuleInit {
  constructor(
    private readonly metrics: HubMetrics,
    private readonly transfers: TransferRepository,
    private readonly nodes: NodeRepository,
    private readonly producer: StudyQueueProducer,
  ) {}

  onModuleInit(): void {
    // One grouped query per scrape fills both transfer gauges.
    let tally: ReturnType<TransferRepository['tallyLive']> | undefined;
    const tallyOnce = () => {
      tally ??= this.transfers.tallyLive().finally(() => setImmediate(() => (tally = undefined)));
      return tally;
    };
    this.metrics.scrapeGauge(
      { name: 'iehub_transfers', help: 'Live transfers (all but expired), by state.', labelNames: ['state'] },
      async (gauge) => {
        const byState = new Map<string, number>();
        for (const row of await tallyOnce()) {
          byState.set(row.state, (byState.get(row.state) ?? 0) + row.count);
        }
        byState.forEach((count, state) => gauge.set({ state }, count));
      },
    );
    this.metrics.scrapeGauge(
      {
        name: 'iehub_oldest_waiting_emergency_transfer_seconds',
        help: 'Age of the oldest emergency transfer still queued for delivery (0 when none waits).',
      },
      async (gauge) => {
        const queued = (await tallyOnce()).find((row) => row.state === 'queued' && row.folder === 'emergency');
        gauge.set(queued ? Math.max(0, (Date.now() - queued.oldestCreatedAt.getTime()) / 1000) : 0);
      },
    );
    this.metrics.scrapeGauge(
      {
        name: 'iehub_delivery_queue_depth',
        help: 'Delivery jobs per push node AE title, by state (waiting, delayed, active).',
        labelNames: ['node', 'state'],
      },
      async (gauge) => {
        const pushNodes = (await this.nodes.getAll()).filter((node) => node.active && node.receiveMode === 'push');
        await Promise.all(
          pushNodes.map(async (node) => {
            const counts = await this.producer
              .deliveryQueueFor(node.id)
              .getJobCounts('wait', 'prioritized', 'delayed', 'active');
            for (const [state, kinds] of Object.entries(QUEUE_STATES)) {
              gauge.set(
                { node: node.aeTitle, state },
                kinds.reduce((sum, kind) => sum + (counts[kind] ?? 0), 0),
              );
            }
          }),
        );
      },
    );
  }
}
