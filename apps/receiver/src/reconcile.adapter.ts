import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { startPeriodicTask } from '@hub/core';
import { InstanceIngestService } from '@hub/ingest';

/** How far back the first pass looks, how young a row may be and still be in flight, how often to pass. */
const FIRST_PASS_WINDOW_MS = 24 * 3600 * 1000;
const SETTLE_MS = 2 * 60 * 1000;
const INTERVAL_MS = 10 * 60 * 1000;
/**
 * A live association audits what it stored every second: an instance unaudited this long after it was
 * acknowledged belongs to a receiver that died. Looked for at start-up and this often.
 */
const AUDIT_SETTLE_MS = 10 * 1000;
const AUDIT_INTERVAL_MS = 15 * 1000;

/**
 * Checks, at start-up and every ten minutes, that every recently recorded instance has its file; each
 * pass covers only what arrived since the last one. At start-up and every 15 s, writes the audit events
 * of instances acknowledged by a receiver that died before it could.
 */
@Injectable()
export class ReconcileAdapter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReconcileAdapter.name);
  private checkedUntil = new Date(Date.now() - FIRST_PASS_WINDOW_MS);
  private stop?: () => void;
  private stopAudit?: () => void;

  constructor(private readonly ingest: InstanceIngestService) {}

  async onApplicationBootstrap(): Promise<void> {
    this.stop = await startPeriodicTask('instance reconciliation', INTERVAL_MS, () => this.pass(), this.logger);
    this.stopAudit = await startPeriodicTask(
      'audit reconciliation',
      AUDIT_INTERVAL_MS,
      () => this.ingest.auditUnaudited(new Date(Date.now() - AUDIT_SETTLE_MS)),
      this.logger,
    );
  }

  onApplicationShutdown(): void {
    this.stop?.();
    this.stopAudit?.();
  }

  private async pass(): Promise<void> {
    const until = new Date(Date.now() - SETTLE_MS);
    await this.ingest.reconcileMissingFiles(this.checkedUntil, until);
    this.checkedUntil = until;
  }
}
