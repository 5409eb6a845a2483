import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { LoadedConfig } from '@hub/config';
import { CoreModule } from '@hub/core';
import { DeliveryService } from '@hub/delivery';
import { QueueName, redisOptions } from '@hub/queue';
import { RoutingModule } from '@hub/routing';
import { DeliveryProcessor } from './delivery.processor';

/** Delivery workers: push queued transfers to recipients' nodes (C-STORE SCU, byte for byte). */
@Module({})
export class ForwarderModule {
  static forRoot(config: LoadedConfig, options = { core: true }): DynamicModule {
    return {
      module: ForwarderModule,
      imports: [
        ...(options.core ? [CoreModule.forRoot(config)] : []),
        BullModule.forRoot({ connection: redisOptions(config.env.redisUrl, 'worker'), prefix: config.env.queuePrefix }),
        BullModule.registerQueue({ name: QueueName.Delivery }),
        RoutingModule,
      ],
      providers: [DeliveryService, DeliveryProcessor],
    };
  }
}
