import { Global, Module } from '@nestjs/common';
import { HubMetrics } from './hub-metrics';

/** One metrics registry per process, for every module that reports (audit, ingest, delivery, fetch). */
@Global()
@Module({ providers: [HubMetrics], exports: [HubMetrics] })
export class MetricsModule {}
