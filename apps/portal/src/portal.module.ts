import { DynamicModule, Module } from '@nestjs/common';
import { LoadedConfig } from '@hub/config';
import { CoreModule } from '@hub/core';
import { FetchModule } from '@hub/fetch';
import { RoutingModule } from '@hub/routing';
import { ApiTokenGuard } from './api-token.guard';
import { FetchesController } from './fetches.controller';
import { HealthController } from './health.controller';
import { QuarantineController } from './quarantine.controller';
import { TransfersController } from './transfers.controller';

/** The HTTP API: health, transfers and quarantine (operator token); accounts and audit arrive with governance. */
@Module({})
export class PortalModule {
  static forRoot(config: LoadedConfig, options = { core: true }): DynamicModule {
    return {
      module: PortalModule,
      imports: [...(options.core ? [CoreModule.forRoot(config)] : []), RoutingModule, FetchModule],
      controllers: [HealthController, TransfersController, QuarantineController, FetchesController],
      providers: [ApiTokenGuard],
    };
  }
}
