import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENV_CONFIG, EnvConfig } from '@hub/config';
import { NodeRepository } from '@hub/db';
import { DeliveryService } from '@hub/delivery';
import {
  DeliveryQueueJob,
  JobName,
  StudyQueueProducer,
  deliveryBackoffMs,
  deliveryQueueName,
  redisOptions,
} from '@hub/queue';
import { DelayedError, Job, Worker } from 'bullmq';

/**
 * One worker per recipient push node, built in this one place from the nodes in MySQL: the node's
 * maxAssociations is its queue's global concurrency, so the limit holds across every forwarder
 * process, and a node that is down holds up only its own queue. Shutdown lets active deliveries finish.
 */
@Injectable()
export class DeliveryWorkersAdapter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorkersAdapter.name);
  private readonly workers: Worker[] = [];

  constructor(
    private readonly nodes: NodeRepository,
    private readonly delivery: DeliveryService,
    private readonly producer: StudyQueueProducer,
    @Inject(ENV_CONFIG) private readonly env: EnvConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const pushNodes = (await this.nodes.getAll()).filter((node) => node.active && node.receiveMode === 'push');
    for (const node of pushNodes) {
      await this.producer.deliveryQueueFor(node.id).setGlobalConcurrency(node.maxAssociations);
      const worker = new Worker(deliveryQueueName(node.id), (job: Job, token?: string) => this.process(job, token), {
        connection: redisOptions(this.env.redisUrl, 'worker'),
        prefix: this.env.queuePrefix,
        concurrency: node.maxAssociations,
        settings: { backoffStrategy: (attemptsMade: number) => deliveryBackoffMs(attemptsMade) },
      });
      worker.on('error', (error) => this.logger.error(`delivery worker for ${node.aeTitle}: ${error.message}`));
      this.workers.push(worker);
    }
    this.logger.log(`delivering to ${pushNodes.length} push node(s)`);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }

  private async process(job: Job, token?: string): Promise<unknown> {
    const item = { name: job.name, data: job.data as unknown } as DeliveryQueueJob;
    switch (item.name) {
      case JobName.DeliverTransfer: {
        const result = await this.delivery.handleDeliverTransfer(item.data.transferId);
        if (result.state === 'arriving') {
          // The study is still arriving: the same job runs the next round, without spending an attempt
          // and freeing the node's slot meanwhile.
          await job.moveToDelayed(Date.now() + result.nextRoundInMs, token);
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
