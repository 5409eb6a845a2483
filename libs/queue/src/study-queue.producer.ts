import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { ENV_CONFIG, EnvConfig, HUB_CONFIG, HubConfig } from '@hub/config';
import { Queue } from 'bullmq';
import {
  DELIVERY_JOB_OPTIONS,
  FOLDER_PRIORITY,
  JobName,
  QUEUE_DEFAULT_JOB_OPTIONS,
  QueueName,
  QueueOf,
  DeliveryQueueJob,
  FetchQueueJob,
  StudyQueueJob,
  addJob,
  completeStudyDedupId,
  deliveryQueueName,
  jobKeys,
} from './queue.types';
import { redisOptions } from './redis-connection';

/** Puts work on the router's and forwarder's queues. Jobs are nudges: MySQL holds what is pending. */
@Injectable()
export class StudyQueueProducer implements OnModuleDestroy {
  readonly queue: QueueOf<QueueName.Study>;
  readonly fetchQueue: QueueOf<QueueName.Fetch>;
  private readonly deliveryQueues = new Map<string, QueueOf<'delivery'>>();
  private readonly connection: ReturnType<typeof redisOptions>;
  private readonly prefix: string;
  private readonly quietMs: number;

  constructor(@Inject(ENV_CONFIG) env: EnvConfig, @Inject(HUB_CONFIG) config: HubConfig) {
    this.connection = redisOptions(env.redisUrl, 'producer');
    this.prefix = env.queuePrefix;
    this.queue = new Queue<StudyQueueJob['data'], unknown, StudyQueueJob['name']>(QueueName.Study, {
      connection: this.connection,
      prefix: env.queuePrefix,
      defaultJobOptions: QUEUE_DEFAULT_JOB_OPTIONS[QueueName.Study],
    });
    this.fetchQueue = new Queue<FetchQueueJob['data'], unknown, FetchQueueJob['name']>(QueueName.Fetch, {
      connection: this.connection,
      prefix: env.queuePrefix,
      defaultJobOptions: QUEUE_DEFAULT_JOB_OPTIONS[QueueName.Fetch],
    });
    this.quietMs = config.hub.stableStudySeconds * 1000;
  }

  /**
   * (Re)starts the study's quiet period: debounce mode replaces the pending delayed job, so a study
   * that keeps receiving has exactly one completion job, due quietMs after the latest call.
   */
  async scheduleCompletion(studyId: string, delayMs = this.quietMs): Promise<void> {
    await addJob(
      this.queue,
      JobName.CompleteStudy,
      { studyId },
      {
        delay: delayMs,
        deduplication: { id: completeStudyDedupId(studyId), ttl: Math.max(delayMs, 1), extend: true, replace: true },
      },
    );
  }

  async scheduleRoute(studyId: string): Promise<void> {
    await addJob(this.queue, JobName.RouteStudy, { studyId }, { deduplication: { id: jobKeys.routeStudy(studyId) } });
  }

  async scheduleExpiry(transferId: string, expiresAt: Date): Promise<void> {
    await addJob(
      this.queue,
      JobName.ExpireTransfer,
      { transferId },
      { jobId: jobKeys.expireTransfer(transferId), delay: Math.max(0, expiresAt.getTime() - Date.now()) },
    );
  }

  /**
   * Queues a transfer's delivery on its recipient node's queue, emergency ahead of elective. The node's
   * limit is set on the queue first, every time: it lives in Redis, and a Redis flushed or restarted empty
   * would otherwise let every forwarder open its full concurrency to the node until one restarted.
   */
  async scheduleDelivery(
    transfer: { id: string; folder: 'emergency' | 'elective' },
    node: { id: string; maxAssociations: number },
  ): Promise<void> {
    const queue = this.deliveryQueueFor(node.id);
    await queue.setGlobalConcurrency(node.maxAssociations);
    await addJob(
      queue,
      JobName.DeliverTransfer,
      { transferId: transfer.id },
      { deduplication: { id: jobKeys.deliverTransfer(transfer.id) }, priority: FOLDER_PRIORITY[transfer.folder] },
    );
  }

  /** Queues a fetch request for the forwarder (deduplicated while one is pending for it). */
  async scheduleFetch(fetchId: string): Promise<void> {
    await addJob(
      this.fetchQueue,
      JobName.FetchStudy,
      { fetchId },
      { deduplication: { id: jobKeys.fetchStudy(fetchId) } },
    );
  }

  deliveryQueueFor(nodeId: string): QueueOf<'delivery'> {
    let queue = this.deliveryQueues.get(nodeId);
    if (!queue) {
      queue = new Queue<DeliveryQueueJob['data'], unknown, DeliveryQueueJob['name']>(deliveryQueueName(nodeId), {
        connection: this.connection,
        prefix: this.prefix,
        defaultJobOptions: DELIVERY_JOB_OPTIONS,
      });
      this.deliveryQueues.set(nodeId, queue);
    }
    return queue;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([
      this.queue.close(),
      this.fetchQueue.close(),
      ...[...this.deliveryQueues.values()].map((queue) => queue.close()),
    ]);
  }
}
