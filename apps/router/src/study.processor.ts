import { Processor, WorkerHost } from '@nestjs/bullmq';
import { OnModuleDestroy } from '@nestjs/common';
import { StudyCompletionService } from '@hub/ingest';
import { JobName, QueueName, jobItem } from '@hub/queue';
import { ExpiryService, RoutingService } from '@hub/routing';
import { DelayedError, Job } from 'bullmq';

/** The study queue: one thin switch, each job name handled by one service method. */
@Processor(QueueName.Study)
export class StudyProcessor extends WorkerHost implements OnModuleDestroy {
  constructor(
    private readonly completion: StudyCompletionService,
    private readonly routing: RoutingService,
    private readonly expiry: ExpiryService,
  ) {
    super();
  }

  /**
   * The running job finishes before the global modules (queues, database) close; @nestjs/bullmq would close the
   * worker only after them, at application shutdown.
   */
  async onModuleDestroy(): Promise<void> {
    await this.worker.close();
  }

  async process(job: Job, token?: string): Promise<unknown> {
    const item = jobItem(QueueName.Study, job);
    switch (item.name) {
      case JobName.CompleteStudy: {
        const result = await this.completion.handleCompleteStudy(item.data.studyId);
        if (result.state === 'not-quiet') {
          // Still receiving: wait out the rest of the quiet period without spending an attempt.
          return this.retryLater(job, token, result.retryInMs);
        }
        return result;
      }
      case JobName.RouteStudy:
        return this.routing.handleRouteStudy(item.data.studyId);
      case JobName.ExpireTransfer: {
        const result = await this.expiry.handleExpireTransfer(item.data.transferId);
        if (result.state === 'not-due') {
          return this.retryLater(job, token, result.dueInMs);
        }
        return result;
      }
      default: {
        const unhandled: never = item;
        throw new Error(`unknown job ${(unhandled as { name: string }).name} on queue ${QueueName.Study}`);
      }
    }
  }

  private async retryLater(job: Job, token: string | undefined, delayMs: number): Promise<never> {
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  }
}
