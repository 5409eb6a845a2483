import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { ENV_CONFIG, EnvConfig, HUB_CONFIG, HubConfig } from '@hub/config';
import { Queue } from 'bullmq';
import { QUEUE_DEFAULT_JOB_OPTIONS, JobName, QueueName, completeStudyDedupId } from './queue.types';
import { redisOptions } from './redis-connection';

/** Puts study work on the study queue. Jobs are nudges: MySQL holds what is pending. */
@Injectable()
export class StudyQueueProducer implements OnModuleDestroy {
  readonly queue: Queue;
  private readonly quietMs: number;

  constructor(@Inject(ENV_CONFIG) env: EnvConfig, @Inject(HUB_CONFIG) config: HubConfig) {
    this.queue = new Queue(QueueName.Study, {
      connection: redisOptions(env.redisUrl, 'producer'),
      prefix: env.queuePrefix,
      defaultJobOptions: QUEUE_DEFAULT_JOB_OPTIONS[QueueName.Study],
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

  async onModuleDestroy(): Promise<void> {
    await this.queue.close();
  }
}
