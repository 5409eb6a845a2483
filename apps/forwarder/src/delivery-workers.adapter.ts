import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ENV_CONFIG, EnvConfig } from '@hub/config';
import { NodeRepository } from '@hub/db';
import { DeliveryService } from '@hub/delivery';
import { jobItem, JobName, StudyQueueProducer, deliveryBackoffMs, deliveryQueueName, redisOptions } from '@hub/queue';
import { startPeriodicTask } from '@hub/core';
import { DelayedError, Job, Worker } from 'bullmq';

/** How often each node's limit is set again in Redis. */
const LIMITS_EVERY_MS = 5000;

/**
 * One worker per recipient push node, built in this one place from the nodes in MySQL: the node's
 * maxAssociations is its queue's global concurrency, so the limit holds across every forwarder
 * process, and a node that is down holds up only its own queue. Shutdown lets active deliveries finish.
 */
@Injectable()
export class DeliveryWorkersAdapter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryWorkersAdapter.name);
  private readonly workers: Worker[] = [];
  private stopAsserting?: () => void;

  constructor(
    private readonly nodes: NodeRepository,
    private readonly delivery: DeliveryService,
    private readonly producer: StudyQueueProducer,
    @Inject(ENV_CONFIG) private readonly env: EnvConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const pushNodes = (await this.nodes.getAll()).filter((node) => node.active && node.receiveMode === 'push');
    // Each node's limit lives in Redis: set now, again whenever a worker's connection comes back (Redis
    // restarted), and every few seconds (Redis flushed, the connection kept), so it holds across processes.
    const assertLimits = () =>
      Promise.all(
        pushNodes.map((node) => this.producer.deliveryQueueFor(node.id).setGlobalConcurrency(node.maxAssociations)),
      );
    this.stopAsserting = await startPeriodicTask('delivery limits', LIMITS_EVERY_MS, assertLimits, this.logger);
    for (const node of pushNodes) {
      const worker = new Worker(deliveryQueueName(node.id), (job: Job, token?: string) => this.process(job, token), {
        connection: redisOptions(this.env.redisUrl, 'worker'),
        prefix: this.env.queuePrefix,
        concurrency: node.maxAssociations,
        settings: { backoffStrategy: (attemptsMade: number) => deliveryBackoffMs(attemptsMade) },
      });
      worker.on('error', (error) => this.logger.error(`delivery worker for ${node.aeTitle}: ${error.message}`));
      void worker.client.then((client) =>
        client.on('ready', () => {
          assertLimits().catch((error: Error) => this.logger.warn(`delivery limits: ${error.message}`));
        }),
      );
      this.workers.push(worker);
    }
    this.logger.log(`delivering to ${pushNodes.length} push node(s)`);
  }

  /** Before the global modules close: running deliveries finish while their slots, queues and database remain. */
  async onModuleDestroy(): Promise<void> {
    this.stopAsserting?.();
    await Promise.all(this.workers.map((worker) => worker.close()));
  }

  async process(job: Job, token?: string): Promise<unknown> {
    const item = jobItem('delivery', job);
    switch (item.name) {
      case JobName.DeliverTransfer: {
        const result = await this.delivery.handleDeliverTransfer(item.data.transferId);
        if (result.state === 'arriving' || result.state === 'node-busy') {
          // The study is still arriving, or every association the node allows is taken (Redis lost the
          // count of active jobs): the same job runs again soon, without spending an attempt.
          await job.moveToDelayed(
            Date.now() + (result.state === 'arriving' ? result.nextRoundInMs : result.retryInMs),
            token,
          );
          throw new DelayedError();
        }
        return result;
      }
      default: {
        const unhandled: never = item.name;
        throw new Error(`unknown delivery job ${String(unhandled)}`);
      }
    }
  }
}
