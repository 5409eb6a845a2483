import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ENV_CONFIG, EnvConfig } from '@hub/config';
import { FetchService } from '@hub/fetch';
import { JobName, QUEUE_DEFAULT_JOB_OPTIONS, QueueName, jobItem, redisOptions } from '@hub/queue';
import { Job, Worker } from 'bullmq';

/** How many fetches one forwarder runs at once (each is one C-FIND then one C-MOVE association). */
const FETCH_CONCURRENCY = 2;

/** The fetch queue's worker: one thin switch, each job handled by FetchService. */
@Injectable()
export class FetchWorkerAdapter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(FetchWorkerAdapter.name);
  private worker?: Worker;

  constructor(
    private readonly fetches: FetchService,
    @Inject(ENV_CONFIG) private readonly env: EnvConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.worker = new Worker(QueueName.Fetch, (job: Job) => this.process(job), {
      connection: redisOptions(this.env.redisUrl, 'worker'),
      prefix: this.env.queuePrefix,
      concurrency: FETCH_CONCURRENCY,
    });
    this.worker.on('error', (error) => this.logger.error(`fetch worker: ${error.message}`));
    const resumed = await this.fetches.resumeUnfinished();
    if (resumed > 0) {
      this.logger.log(`resumed ${resumed} unfinished fetch request(s)`);
    }
  }

  /** Before the global modules close: a running fetch finishes while its queue and database remain. */
  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
  }

  async process(job: Job): Promise<unknown> {
    const item = jobItem(QueueName.Fetch, job);
    switch (item.name) {
      case JobName.FetchStudy: {
        const attempts = job.opts.attempts ?? QUEUE_DEFAULT_JOB_OPTIONS[QueueName.Fetch].attempts ?? 1;
        return this.fetches.handleFetchStudy(item.data.fetchId, job.attemptsMade + 1 >= attempts);
      }
      default: {
        const unhandled: never = item.name;
        throw new Error(`unknown fetch job ${String(unhandled)}`);
      }
    }
  }
}
