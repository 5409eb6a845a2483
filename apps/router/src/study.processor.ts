import { Processor, WorkerHost } from '@nestjs/bullmq';
import { JobName, JobOf, QueueName } from '@hub/queue';
import { StudyCompletionService } from '@hub/ingest';
import { DelayedError, Job } from 'bullmq';

/** The study queue: one thin switch, each job name handled by one service method. */
@Processor(QueueName.Study)
export class StudyProcessor extends WorkerHost {
  constructor(private readonly completion: StudyCompletionService) {
    super();
  }

  async process(job: Job, token?: string): Promise<unknown> {
    const name = job.name as JobName;
    switch (name) {
      case JobName.CompleteStudy: {
        const { data } = job as unknown as JobOf<JobName.CompleteStudy>;
        const result = await this.completion.handleCompleteStudy(data.studyId);
        if (result.state === 'not-quiet') {
          // Still receiving: wait out the rest of the quiet period without spending an attempt.
          await job.moveToDelayed(Date.now() + result.retryInMs, token);
          throw new DelayedError();
        }
        return result;
      }
      default: {
        const unhandled: never = name;
        throw new Error(`unknown job ${String(unhandled)} on queue ${QueueName.Study}`);
      }
    }
  }
}
