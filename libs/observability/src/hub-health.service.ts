import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import { StudyQueueProducer } from '@hub/queue';
import { DataSource } from 'typeorm';
import { StorageSpaceMonitor } from './storage-space';

/** Each dependency's check gives up after this long, so a probe answers within a Docker healthcheck's timeout. */
const CHECK_TIMEOUT_MS = 2000;

const MIB = 1024 * 1024;

/**
 * Liveness: the process answers (its event loop turns). Readiness: what it stands on works: MySQL, Redis,
 * the storage directory takes a file and has free space above the floor, and whatever an app adds (the
 * receiver: its DICOM port accepts). A failed readiness check answers 503 with each check's state.
 */
@Injectable()
export class HubHealthService {
  private readonly extra = new Map<string, () => Promise<Record<string, unknown> | void>>();

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly studyQueue: StudyQueueProducer,
    private readonly space: StorageSpaceMonitor,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  /** A readiness check an app adds for what only it has (the receiver's DICOM listener); throws when down. */
  addReadinessCheck(name: string, check: () => Promise<Record<string, unknown> | void>): void {
    this.extra.set(name, check);
  }

  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /**
   * Throws ServiceUnavailableException (503) when a check is down: its message names each failed check, and
   * the body carries every check's state (the portal's error filter keeps the message only).
   */
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.check();
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) {
        throw error;
      }
      const result = error.getResponse() as HealthCheckResult;
      const down = Object.entries(result.error ?? {}).map(
        ([name, check]) => `${name}: ${(check as { message?: string }).message ?? 'down'}`,
      );
      throw new ServiceUnavailableException({ message: `not ready: ${down.join('; ')}`, ...result });
    }
  }

  private check(): Promise<HealthCheckResult> {
    const check = (name: string, fn: () => Promise<Record<string, unknown> | void>): HealthIndicatorFunction => {
      return async () => {
        const indicator = this.indicators.check(name);
        try {
          return indicator.up((await withTimeout(fn(), CHECK_TIMEOUT_MS)) ?? {});
        } catch (error) {
          return indicator.down({ message: (error as Error).message });
        }
      };
    };
    return this.health.check([
      check('mysql', async () => {
        await this.dataSource.query('SELECT 1');
      }),
      check('redis', async () => {
        const client = (await this.studyQueue.queue.client) as unknown as { ping(): Promise<string> };
        await client.ping();
      }),
      check('storage', async () => {
        await this.space.probeWritable();
        const free = await this.space.freeSpace();
        const figures = {
          freeMegabytes: Math.floor(free.freeBytes / MIB),
          minFreeMegabytes: this.config.storage.minFreeMegabytes,
        };
        if (free.belowFloor) {
          throw new Error(
            `${figures.freeMegabytes} MiB free, at or below the floor of ${figures.minFreeMegabytes} MiB (storage.minFreeMegabytes)`,
          );
        }
        return figures;
      }),
      ...[...this.extra].map(([name, fn]) => check(name, fn)),
    ]);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
