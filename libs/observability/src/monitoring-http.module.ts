import { Controller, Get, Header, Headers, Inject, Module, UnauthorizedException } from '@nestjs/common';
import { HealthCheckResult } from '@nestjs/terminus';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import { prometheusContentType } from 'prom-client';
import { HubHealthService } from './hub-health.service';
import { HubMetrics } from './hub-metrics';
import { metricsAccessAllowed } from './metrics-token';

/** The small HTTP face of the receiver, router and forwarder: Prometheus text and the two health probes. */
@Controller()
export class MonitoringController {
  constructor(
    private readonly metrics: HubMetrics,
    private readonly health: HubHealthService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  @Get('metrics')
  @Header('Content-Type', prometheusContentType)
  async scrape(@Headers('authorization') authorization: string | undefined): Promise<string> {
    if (!metricsAccessAllowed(authorization, this.config.monitoring.metricsToken)) {
      throw new UnauthorizedException('metrics need the configured bearer token');
    }
    return (await this.metrics.render()).body;
  }

  @Get('health/live')
  live(): Promise<HealthCheckResult> {
    return this.health.live();
  }

  @Get('health/ready')
  ready(): Promise<HealthCheckResult> {
    return this.health.ready();
  }
}

/** Added by startHubProcess to an app without a portal, when its monitoring port is not 0. */
@Module({ controllers: [MonitoringController] })
export class MonitoringHttpModule {}
