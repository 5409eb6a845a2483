import { DynamicModule, Module } from '@nestjs/common';
import { LoadedConfig } from '@hub/config';
import { CoreModule } from '@hub/core';
import { DeliveryService } from '@hub/delivery';
import { FetchModule } from '@hub/fetch';
import { DeliveryGauges } from '@hub/observability';
import { RoutingModule } from '@hub/routing';
import { DeliveryWorkersAdapter } from './delivery-workers.adapter';
import { FetchWorkerAdapter } from './fetch-worker.adapter';

/** Delivery workers (push queued transfers, C-STORE SCU byte for byte) and fetch workers (C-FIND/C-MOVE SCU). */
@Module({})
export class ForwarderModule {
  static forRoot(config: LoadedConfig, options = { core: true }): DynamicModule {
    return {
      module: ForwarderModule,
      imports: [...(options.core ? [CoreModule.forRoot(config)] : []), RoutingModule, FetchModule],
      providers: [DeliveryService, DeliveryWorkersAdapter, FetchWorkerAdapter, DeliveryGauges],
    };
  }
}
