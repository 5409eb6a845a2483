import { DynamicModule, Module } from '@nestjs/common';
import { LoadedConfig } from '@hub/config';
import { CoreModule } from '@hub/core';
import { DeliveryService } from '@hub/delivery';
import { RoutingModule } from '@hub/routing';
import { DeliveryWorkersAdapter } from './delivery-workers.adapter';

/** Delivery workers: push queued transfers to recipients' nodes (C-STORE SCU, byte for byte). */
@Module({})
export class ForwarderModule {
  static forRoot(config: LoadedConfig, options = { core: true }): DynamicModule {
    return {
      module: ForwarderModule,
      imports: [...(options.core ? [CoreModule.forRoot(config)] : []), RoutingModule],
      providers: [DeliveryService, DeliveryWorkersAdapter],
    };
  }
}
