import { DynamicModule, Module } from '@nestjs/common';
import { LoadedConfig } from '@hub/config';
import { CoreModule } from '@hub/core';
import { HealthController } from './health.controller';

/** The HTTP API; governance endpoints arrive with the governance issue. */
@Module({})
export class PortalModule {
  static forRoot(config: LoadedConfig, options = { core: true }): DynamicModule {
    return {
      module: PortalModule,
      imports: options.core ? [CoreModule.forRoot(config)] : [],
      controllers: [HealthController],
    };
  }
}
