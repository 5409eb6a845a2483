import { JOB_QUEUE, JobName, QueueName, jobItem } from './queue.types';

describe('queue contract', () => {
  it('puts every job name on exactly one queue', () => {
    expect(Object.keys(JOB_QUEUE).sort()).toEqual(Object.values(JobName).sort());
    for (const queue of Object.values(JOB_QUEUE)) {
      expect([QueueName.Study, QueueName.Fetch, 'delivery']).toContain(queue);
    }
  });

  it("reads a job as its queue's payload, and refuses one of another queue or an unknown name", () => {
    expect(jobItem(QueueName.Study, { name: JobName.RouteStudy, data: { studyId: 's1' } })).toEqual({
      name: JobName.RouteStudy,
      data: { studyId: 's1' },
    });
    expect(() => jobItem(QueueName.Study, { name: JobName.FetchStudy, data: { fetchId: 'f1' } })).toThrow(
      'unknown job FetchStudy on the study queue',
    );
    expect(() => jobItem('delivery', { name: 'SendEverything', data: {} })).toThrow(/unknown job SendEverything/);
  });
});
