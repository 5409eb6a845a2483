import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HubHealthService } from './hub-health.service';
import { StorageSpaceMonitor } from './storage-space';

/** Health checks and the storage free-space watch, for every app (the receiver refuses stores below the floor). */
@Global()
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  providers: [StorageSpaceMonitor, HubHealthService],
  exports: [StorageSpaceMonitor, HubHealthService],
})
export class HealthModule {}
