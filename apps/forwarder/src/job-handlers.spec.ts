import { JOB_QUEUE, JobName, QueueName } from '@hub/queue';
import { Job } from 'bullmq';
import { DeliveryWorkersAdapter } from './delivery-workers.adapter';
import { FetchWorkerAdapter } from './fetch-worker.adapter';

/** Every job of the forwarder's queues reaches its one service method. */
describe('forwarder job handlers', () => {
  const job = (name: JobName, data: object) => ({ name, data, opts: {}, attemptsMade: 0 }) as unknown as Job;

  it('hands every fetch-queue job to FetchService', async () => {
    const fetches = { handleFetchStudy: jest.fn().mockResolvedValue({ state: 'completed' }) };
    const adapter = new FetchWorkerAdapter(fetches as never, {} as never);
    const names = Object.values(JobName).filter((name) => JOB_QUEUE[name] === QueueName.Fetch);
    expect(names).toEqual([JobName.FetchStudy]);
    for (const name of names) {
      await expect(adapter.process(job(name, { fetchId: 'fetch-1' }))).resolves.toEqual({ state: 'completed' });
    }
    expect(fetches.handleFetchStudy).toHaveBeenCalledWith('fetch-1', false);
    await expect(adapter.process(job(JobName.RouteStudy, { studyId: 's' }))).rejects.toThrow(/unknown job RouteStudy/);
  });

  it('hands every delivery-queue job to DeliveryService', async () => {
    const delivery = {
      handleDeliverTransfer: jest.fn().mockResolvedValue({ state: 'delivered', delivered: 1, failed: 0 }),
    };
    const adapter = new DeliveryWorkersAdapter({} as never, delivery as never, {} as never, {} as never);
    const names = Object.values(JobName).filter((name) => JOB_QUEUE[name] === 'delivery');
    expect(names).toEqual([JobName.DeliverTransfer]);
    for (const name of names) {
      await expect(adapter.process(job(name, { transferId: 'transfer-1' }))).resolves.toMatchObject({
        state: 'delivered',
      });
    }
    expect(delivery.handleDeliverTransfer).toHaveBeenCalledWith('transfer-1');
    await expect(adapter.process(job(JobName.FetchStudy, { fetchId: 'f' }))).rejects.toThrow(/unknown job FetchStudy/);
  });

  it('leaves no job name without a queue whose handler is tested here or in the router', () => {
    const queues = new Set(Object.values(JOB_QUEUE));
    expect([...queues].sort()).toEqual(['delivery', QueueName.Fetch, QueueName.Study].sort());
  });
});
