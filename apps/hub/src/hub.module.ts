import { DynamicModule, Module } from '@nestjs/common';
import { LoadedConfig } from '@hub/config';
import { CoreModule } from '@hub/core';
import { ForwarderModule } from '../../forwarder/src/forwarder.module';
import { PortalModule } from '../../portal/src/portal.module';
import { ReceiverModule } from '../../receiver/src/receiver.module';
import { RouterModule } from '../../router/src/router.module';

/** All four apps in one process, for a single-site install (`npm start`). */
@Module({})
export class HubModule {
  static forRoot(config: LoadedConfig): DynamicModule {
    const shared = { core: false };
    return {
      module: HubModule,
      imports: [
        CoreModule.forRoot(config),
        ReceiverModule.forRoot(config, shared),
        RouterModule.forRoot(config, shared),
        ForwarderModule.forRoot(config, shared),
        PortalModule.forRoot(config, shared),
      ],
    };
  }
}
