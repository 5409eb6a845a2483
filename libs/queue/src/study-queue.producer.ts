import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { ENV_CONFIG, EnvConfig, HUB_CONFIG, HubConfig } from '@hub/config';
import { Queue } from 'bullmq';
import { JobName, QUEUE_DEFAULT_JOB_OPTIONS, QueueName, completeStudyDedupId, jobKeys } from './queue.types';
import { redisOptions } from './redis-connection';

/** Puts work on the router's and forwarder's queues. Jobs are nudges: MySQL holds what is pending. */
@Injectable()
export class StudyQueueProducer implements OnModuleDestroy {
  readonly queue: Queue;
  readonly deliveryQueue: Queue;
  private readonly quietMs: number;

  constructor(@Inject(ENV_CONFIG) env: EnvConfig, @Inject(HUB_CONFIG) config: HubConfig) {
    const connection = redisOptions(env.redisUrl, 'producer');
    this.queue = new Queue(QueueName.Study, {
      connection,
      prefix: env.queuePrefix,
      defaultJobOptions: QUEUE_DEFAULT_JOB_OPTIONS[QueueName.Study],
    });
    this.deliveryQueue = new Queue(QueueName.Delivery, {
      connection,
      prefix: env.queuePrefix,
      defaultJobOptions: QUEUE_DEFAULT_JOB_OPTIONS[QueueName.Delivery],
    });
    this.quietMs = config.hub.stableStudySeconds * 1000;
  }

  /**
   * (Re)starts the study's quiet period: debounce mode replaces the pending delayed job, so a study
   * that keeps receiving has exactly one completion job, due quietMs after the latest call.
   */
  async scheduleCompletion(studyId: string, delayMs = this.quietMs): Promise<void> {
    await this.queue.add(
      JobName.CompleteStudy,
      { studyId },
      {
        delay: delayMs,
        deduplication: { id: completeStudyDedupId(studyId), ttl: Math.max(delayMs, 1), extend: true, replace: true },
      },
    );
  }

  async scheduleRoute(studyId: string): Promise<void> {
    await this.queue.add(JobName.RouteStudy, { studyId }, { deduplication: { id: jobKeys.routeStudy(studyId) } });
  }

  async scheduleExpiry(transferId: string, expiresAt: Date): Promise<void> {
    await this.queue.add(
      JobName.ExpireTransfer,
      { transferId },
      { jobId: jobKeys.expireTransfer(transferId), delay: Math.max(0, expiresAt.getTime() - Date.now()) },
    );
  }

  async scheduleDelivery(transferId: string): Promise<void> {
    await this.deliveryQueue.add(
      JobName.DeliverTransfer,
      { transferId },
      { deduplication: { id: jobKeys.deliverTransfer(transferId) } },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.queue.close(), this.deliveryQueue.close()]);
  }
}
