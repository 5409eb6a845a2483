import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { startPeriodicTask } from '@hub/core';
import { StudyCompletionService } from '@hub/ingest';
import { TransferSweepService } from '@hub/routing';

const SWEEP_INTERVAL_MS = 60_000;

/**
 * Re-derives the router's pending work from MySQL at start-up and every minute (completions,
 * routing, agreement holds, expiry), so a lost job costs a minute at most.
 */
@Injectable()
export class RouterSweepAdapter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RouterSweepAdapter.name);
  private stop?: () => void;

  constructor(
    private readonly completion: StudyCompletionService,
    private readonly transfers: TransferSweepService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.stop = await startPeriodicTask(
      'router sweep',
      SWEEP_INTERVAL_MS,
      async () => {
        await this.completion.sweep();
        await this.transfers.sweep();
      },
      this.logger,
    );
  }

  onApplicationShutdown(): void {
    this.stop?.();
  }
}
