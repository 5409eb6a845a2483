import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { startPeriodicTask } from '@hub/core';
import { InstanceIngestService } from '@hub/ingest';

/** How far back the first pass looks, how young a row may be and still be in flight, how often to pass. */
const FIRST_PASS_WINDOW_MS = 24 * 3600 * 1000;
const SETTLE_MS = 2 * 60 * 1000;
const INTERVAL_MS = 10 * 60 * 1000;

/**
 * Checks, at start-up and every ten minutes, that every recently recorded instance has its file; each
 * pass covers only what arrived since the last one.
 */
@Injectable()
export class ReconcileAdapter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReconcileAdapter.name);
  private checkedUntil = new Date(Date.now() - FIRST_PASS_WINDOW_MS);
  private stop?: () => void;

  constructor(private readonly ingest: InstanceIngestService) {}

  async onApplicationBootstrap(): Promise<void> {
    this.stop = await startPeriodicTask('instance reconciliation', INTERVAL_MS, () => this.pass(), this.logger);
  }

  onApplicationShutdown(): void {
    this.stop?.();
  }

  private async pass(): Promise<void> {
    const until = new Date(Date.now() - SETTLE_MS);
    await this.ingest.reconcileMissingFiles(this.checkedUntil, until);
    this.checkedUntil = until;
  }
}
