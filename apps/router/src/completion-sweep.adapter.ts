import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { startPeriodicTask } from '@hub/core';
import { StudyCompletionService } from '@hub/ingest';

const SWEEP_INTERVAL_MS = 60_000;

/** Re-derives pending completions from MySQL at start-up and every minute, so a lost job costs a minute at most. */
@Injectable()
export class CompletionSweepAdapter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CompletionSweepAdapter.name);
  private stop?: () => void;

  constructor(private readonly completion: StudyCompletionService) {}

  async onApplicationBootstrap(): Promise<void> {
    this.stop = await startPeriodicTask(
      'completion sweep',
      SWEEP_INTERVAL_MS,
      () => this.completion.sweep(),
      this.logger,
    );
  }

  onApplicationShutdown(): void {
    this.stop?.();
  }
}
