import { Processor, WorkerHost } from '@nestjs/bullmq';
import { DeliveryService } from '@hub/delivery';
import { DeliverTransferJob, JobName, QueueName } from '@hub/queue';
import { Job } from 'bullmq';

/** The delivery queue: one thin switch onto the delivery service. */
@Processor(QueueName.Delivery)
export class DeliveryProcessor extends WorkerHost {
  constructor(private readonly delivery: DeliveryService) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    const item = { name: job.name, data: job.data as unknown } as DeliverTransferJob;
    switch (item.name) {
      case JobName.DeliverTransfer:
        return this.delivery.handleDeliverTransfer(item.data.transferId);
      default: {
        const unhandled: never = item.name;
        throw new Error(`unknown job ${String(unhandled)} on queue ${QueueName.Delivery}`);
      }
    }
  }
}
