import { JOB_QUEUE, JobName, QueueName } from '@hub/queue';
import { Job } from 'bullmq';
import { StudyProcessor } from './study.processor';

describe('StudyProcessor', () => {
  const done = () => jest.fn().mockResolvedValue({ state: 'done' });
  const completion = { handleCompleteStudy: done() };
  const routing = { handleRouteStudy: done() };
  const expiry = { handleExpireTransfer: done() };
  const processor = new StudyProcessor(completion as never, routing as never, expiry as never);
  const handlerOf: Record<string, jest.Mock> = {
    [JobName.CompleteStudy]: completion.handleCompleteStudy,
    [JobName.RouteStudy]: routing.handleRouteStudy,
    [JobName.ExpireTransfer]: expiry.handleExpireTransfer,
  };
  const studyJobs = Object.values(JobName).filter((name) => JOB_QUEUE[name] === QueueName.Study);

  it.each(studyJobs)('hands %s to its handler', async (name) => {
    const job = { name, data: { studyId: 'study-1', transferId: 'transfer-1' } } as unknown as Job;
    await expect(processor.process(job)).resolves.toEqual({ state: 'done' });
    expect(handlerOf[name]).toHaveBeenCalledTimes(1);
  });

  it('has a handler for every job of its queue, and fails a job of another queue', async () => {
    expect(Object.keys(handlerOf).sort()).toEqual([...studyJobs].sort());
    await expect(
      processor.process({ name: JobName.FetchStudy, data: { fetchId: 'f' } } as unknown as Job),
    ).rejects.toThrow(/unknown job FetchStudy/);
  });
});
