import { Controller, Get, Header, Headers, Inject, UnauthorizedException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@hub/accounts';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import { HubMetrics, metricsAccessAllowed } from '@hub/observability';
import { prometheusContentType } from 'prom-client';

/** Prometheus text for the scraper: no session; the configured bearer token when monitoring.metricsToken is set. */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: HubMetrics,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  @Get()
  @Header('Content-Type', prometheusContentType)
  async scrape(@Headers('authorization') authorization: string | undefined): Promise<string> {
    if (!metricsAccessAllowed(authorization, this.config.monitoring.metricsToken)) {
      throw new UnauthorizedException('metrics need the configured bearer token');
    }
    return (await this.metrics.render()).body;
  }
}
