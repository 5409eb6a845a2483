import { DefaultJobOptions, JobsOptions, Queue } from 'bullmq';

// Stable names: these strings live in Redis. Changing one strands the jobs queued under the old
// name, so a rename needs a migration plan (drain the old queue first).
export enum QueueName {
  /** Router: a study's life in the hub (completion, routing, expiry). */
  Study = 'study',
  /** Forwarder: fetch requests ("source it"), C-FIND/C-MOVE against a source's PACS. */
  Fetch = 'fetch',
}

/**
 * One delivery queue per recipient node, so a node that is down, slow or refusing holds only its own
 * work, and its global concurrency can be the node's maxAssociations across every forwarder.
 */
export function deliveryQueueName(nodeId: string): string {
  return `deliver-${nodeId}`;
}

/** Emergency transfers never wait behind elective ones (BullMQ: lower number, higher priority). */
export const FOLDER_PRIORITY = { emergency: 1, elective: 2 } as const;

export enum JobName {
  CompleteStudy = 'CompleteStudy',
  RouteStudy = 'RouteStudy',
  ExpireTransfer = 'ExpireTransfer',
  DeliverTransfer = 'DeliverTransfer',
  FetchStudy = 'FetchStudy',
}

export interface CompleteStudyJob {
  name: JobName.CompleteStudy;
  data: { studyId: string };
}

export interface RouteStudyJob {
  name: JobName.RouteStudy;
  data: { studyId: string };
}

export interface ExpireTransferJob {
  name: JobName.ExpireTransfer;
  data: { transferId: string };
}

export interface DeliverTransferJob {
  name: JobName.DeliverTransfer;
  data: { transferId: string };
}

export interface FetchStudyJob {
  name: JobName.FetchStudy;
  data: { fetchId: string };
}

export type JobItem = CompleteStudyJob | RouteStudyJob | ExpireTransferJob | DeliverTransferJob | FetchStudyJob;
export type JobOf<N extends JobName> = Extract<JobItem, { name: N }>;

/** The queues jobs go on: the study and fetch queues, and the per-node delivery queues (deliver-<nodeId>). */
export type JobQueue = QueueName.Study | QueueName.Fetch | 'delivery';

/** Which queue each job goes on: every job name has exactly one. */
export const JOB_QUEUE = {
  [JobName.CompleteStudy]: QueueName.Study,
  [JobName.RouteStudy]: QueueName.Study,
  [JobName.ExpireTransfer]: QueueName.Study,
  [JobName.DeliverTransfer]: 'delivery',
  [JobName.FetchStudy]: QueueName.Fetch,
} as const satisfies Record<JobName, JobQueue>;

/** The jobs of one queue, as a discriminated union on `name`. */
export type JobsOn<Q extends JobQueue> = {
  [N in JobName]: (typeof JOB_QUEUE)[N] extends Q ? JobOf<N> : never;
}[JobName];
export type StudyQueueJob = JobsOn<QueueName.Study>;
export type FetchQueueJob = JobsOn<QueueName.Fetch>;
export type DeliveryQueueJob = JobsOn<'delivery'>;

/** A BullMQ queue that takes only its own jobs. */
export type QueueOf<Q extends JobQueue> = Queue<JobsOn<Q>['data'], unknown, JobsOn<Q>['name']>;

/** Adds a job to its queue with the payload its name requires: the one typed `add`. */
export async function addJob<N extends JobName>(
  queue: QueueOf<(typeof JOB_QUEUE)[N]>,
  name: N,
  data: JobOf<N>['data'],
  options?: JobsOptions,
): Promise<void> {
  await (queue as unknown as Queue).add(name, data, options);
}

/**
 * The job a worker took, as its queue's union, for a processor's exhaustive switch on `name`. A job
 * of another queue (or a name no longer known) throws: it fails rather than being read as a payload
 * it is not. This is the one place a job's untyped data becomes its payload type.
 */
export function jobItem<Q extends JobQueue>(queue: Q, job: { name: string; data: unknown }): JobsOn<Q> {
  const owner = (JOB_QUEUE as Record<string, JobQueue | undefined>)[job.name];
  if (owner !== queue) {
    throw new Error(`unknown job ${job.name} on the ${queue} queue`);
  }
  return { name: job.name, data: job.data } as JobsOn<Q>;
}

const RETRIED: DefaultJobOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
};

export const QUEUE_DEFAULT_JOB_OPTIONS: Record<QueueName, DefaultJobOptions> = {
  [QueueName.Study]: RETRIED,
  // A source that does not answer is retried a few times over about a minute; then the request fails.
  [QueueName.Fetch]: {
    attempts: 5,
    backoff: { type: 'exponential', delay: 4000, jitter: 0.5 },
    removeOnComplete: { count: 1000, age: 24 * 3600 },
    removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
  },
};

/**
 * Deliveries retry until the folder expires (the job then finds the transfer expired and stops): many
 * attempts, with a capped backoff (see deliveryBackoffMs) so a PACS back after a night's outage is
 * served within minutes, not hours.
 */
export const DELIVERY_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 100_000,
  backoff: { type: 'capped' },
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
};

/** 1 s, 2 s, 4 s … capped at 5 minutes, with ±20% jitter so retries from many transfers spread out. */
export function deliveryBackoffMs(attemptsMade: number): number {
  const base = Math.min(1000 * 2 ** Math.max(0, attemptsMade - 1), 5 * 60 * 1000);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/**
 * Keys that make adding the same work twice one job (no ':' and never digits only). Routing and
 * delivery may be needed again later (late instances), so they deduplicate while pending; expiry
 * happens once, so it has a fixed job id.
 */
export const jobKeys = {
  routeStudy: (studyId: string) => `route-${studyId}`,
  expireTransfer: (transferId: string) => `expire-${transferId}`,
  deliverTransfer: (transferId: string) => `deliver-${transferId}`,
  fetchStudy: (fetchId: string) => `fetch-${fetchId}`,
};

/** Deduplication key of a study's completion job: one pending job per study, debounced. */
export function completeStudyDedupId(studyId: string): string {
  return `complete-study-${studyId}`;
}
