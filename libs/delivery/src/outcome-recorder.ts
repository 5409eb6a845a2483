import { Logger } from '@nestjs/common';
import { TransferRepository } from '@hub/db';
import { InstanceOutcome, isStoredStatus } from '@hub/dicom';

/** Answers recorded at once past this many, whatever the time. */
const RECORD_BATCH = 200;

/** The DB row of an instance's answer, as the transfer records it. */
export function outcomeRecord(outcome: InstanceOutcome) {
  return {
    instanceId: outcome.id,
    delivered: isStoredStatus(outcome.status),
    status: outcome.status ?? null,
    error: outcome.error ?? null,
  };
}

/**
 * Records a delivery's answers while the association runs: at most `everyMs` after an answer arrives
 * (one commit for all that came meanwhile, not one per instance), at once past RECORD_BATCH. If the
 * forwarder dies mid-association, only what was answered since the last commit is sent again, not the
 * whole association's worth. Writes run one at a time; one that fails (MySQL gone) keeps its answers for
 * the next, and finish() makes the last try, throwing if even that fails (the job then retries).
 */
export class OutcomeRecorder {
  private readonly logger = new Logger(OutcomeRecorder.name);
  private unrecorded: InstanceOutcome[] = [];
  private writing: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private finished = false;

  constructor(
    private readonly transfers: Pick<TransferRepository, 'recordOutcomes'>,
    private readonly transferId: string,
    private readonly everyMs: number,
  ) {}

  readonly onOutcome = (outcome: InstanceOutcome): void => {
    this.unrecorded.push(outcome);
    if (this.unrecorded.length >= RECORD_BATCH) {
      this.schedule(0);
    } else {
      this.schedule(this.everyMs);
    }
  };

  /** Once the association has ended: records what is left (throws if it cannot). */
  async finish(): Promise<void> {
    this.finished = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    await this.write();
  }

  private schedule(ms: number): void {
    if (this.finished || (this.timer && ms > 0)) {
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.writing
        .then(() => this.write())
        .catch((error: Error) =>
          this.logger.warn(`transfer ${this.transferId}: answers kept for the next write: ${error.message}`),
        );
    }, ms);
    // finish() clears it; a send that ends in an error of its own must not keep the process alive.
    this.timer.unref();
  }

  private async write(): Promise<void> {
    const outcomes = this.unrecorded;
    if (outcomes.length === 0) {
      return;
    }
    this.unrecorded = [];
    try {
      await this.transfers.recordOutcomes(this.transferId, outcomes.map(outcomeRecord), new Date());
    } catch (error) {
      this.unrecorded = outcomes.concat(this.unrecorded);
      throw error;
    }
  }
}
