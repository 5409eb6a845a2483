import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Public } from '@hub/accounts';
import { StudyQueueProducer } from '@hub/queue';
import { ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';

/** Liveness of what the hub stands on: MySQL and Redis. 503 when either is down. */
@ApiTags('health')
@Public()
@Controller('api/health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly studyQueue: StudyQueueProducer,
  ) {}

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
