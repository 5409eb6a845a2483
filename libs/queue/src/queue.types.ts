import { DefaultJobOptions } from 'bullmq';

// Stable names: these strings live in Redis. Changing one strands the jobs queued under the old
// name, so a rename needs a migration plan (drain the old queue first).
export enum QueueName {
  Study = 'study',
}

export enum JobName {
  CompleteStudy = 'CompleteStudy',
}

export interface CompleteStudyJob {
  name: JobName.CompleteStudy;
  data: { studyId: string };
}

export type JobItem = CompleteStudyJob;
export type JobOf<N extends JobName> = Extract<JobItem, { name: N }>;

export const QUEUE_DEFAULT_JOB_OPTIONS: Record<QueueName, DefaultJobOptions> = {
  [QueueName.Study]: {
    attempts: 10,
    backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
    removeOnComplete: { count: 1000, age: 24 * 3600 },
    removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
  },
};

/** Deduplication key of a study's completion job: one pending job per study, debounced. */
export function completeStudyDedupId(studyId: string): string {
  return `complete-study-${studyId}`;
}
