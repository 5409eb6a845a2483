import { DynamicModule, Module } from '@nestjs/common';
import { LoadedConfig } from '@hub/config';
import { CoreModule } from '@hub/core';

/** Delivery workers (C-STORE SCU, C-MOVE SCU) arrive with the delivery issue; the process already stands on the core. */
@Module({})
export class ForwarderModule {
  static forRoot(config: LoadedConfig, options = { core: true }): DynamicModule {
    return { module: ForwarderModule, imports: options.core ? [CoreModule.forRoot(config)] : [] };
  }
}
