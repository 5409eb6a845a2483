import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Public } from '@hub/accounts';
import { HubHealthService } from '@hub/observability';
import { StudyQueueProducer } from '@hub/queue';
import { HealthCheckResult } from '@nestjs/terminus';
import { ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';

/**
 * GET /api/health: MySQL and Redis, as before (503 when either is down). /api/health/live: the process
 * answers. /api/health/ready: MySQL, Redis, and the storage directory writable above its free-space floor.
 */
@ApiTags('health')
@Public()
@Controller('api/health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly studyQueue: StudyQueueProducer,
    private readonly hubHealth: HubHealthService,
  ) {}

  @Get('live')
  live(): Promise<HealthCheckResult> {
    return this.hubHealth.live();
  }

  @Get('ready')
  ready(): Promise<HealthCheckResult> {
    return this.hubHealth.ready();
  }

  @Get()
  async health(): Promise<{ status: 'ok'; mysql: 'up'; redis: 'up' }> {
    const [mysql, redis] = await Promise.all([
      this.dataSource.query('SELECT 1').then(
        () => 'up' as const,
        () => 'down' as const,
      ),
      this.studyQueue.queue.client
        .then((client) => (client as unknown as { ping(): Promise<string> }).ping())
        .then(
          () => 'up' as const,
          () => 'down' as const,
        ),
    ]);
    if (mysql !== 'up' || redis !== 'up') {
      throw new ServiceUnavailableException({ status: 'degraded', mysql, redis });
    }
    return { status: 'ok', mysql, redis };
  }
}
