import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { LoadedConfig } from '@hub/config';
import { CoreModule } from '@hub/core';
import { StudyCompletionService } from '@hub/ingest';
import { QueueName, redisOptions } from '@hub/queue';
import { RoutingModule } from '@hub/routing';
import { RouterSweepAdapter } from './router-sweep.adapter';
import { StudyProcessor } from './study.processor';

/** BullMQ workers for the study queue: completion, routing, expiry; and the sweep that re-derives them. */
@Module({})
export class RouterModule {
  static forRoot(config: LoadedConfig, options = { core: true }): DynamicModule {
    return {
      module: RouterModule,
      imports: [
        ...(options.core ? [CoreModule.forRoot(config)] : []),
        BullModule.forRoot({ connection: redisOptions(config.env.redisUrl, 'worker'), prefix: config.env.queuePrefix }),
        BullModule.registerQueue({ name: QueueName.Study }),
        RoutingModule,
      ],
      providers: [StudyCompletionService, StudyProcessor, RouterSweepAdapter],
    };
  }
}
