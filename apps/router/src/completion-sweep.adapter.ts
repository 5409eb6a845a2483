import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { StudyCompletionService } from '@hub/ingest';

const SWEEP_INTERVAL_MS = 60_000;

/** Re-derives pending completions from MySQL at start-up and every minute, so a lost job costs a minute at most. */
@Injectable()
export class CompletionSweepAdapter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CompletionSweepAdapter.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly completion: StudyCompletionService) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runSweep();
    this.timer = setInterval(() => void this.runSweep(), SWEEP_INTERVAL_MS);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async runSweep(): Promise<void> {
    try {
      await this.completion.sweep();
    } catch (error) {
      this.logger.error(`completion sweep failed: ${(error as Error).message}`);
    }
  }
}
