import { Logger } from '@nestjs/common';
import { PendingInstance, TransferRepository } from '@hub/db';
import { InstanceFeed, StoredInstance } from '@hub/dicom';
import { OutcomeRecorder } from './outcome-recorder';

/**
 * How an association delivering a study that still arrives is kept open. While it is open the node's
 * slot is taken, so it is handed back after a pause in the arrivals (the rounds take over: a few queries
 * every ARRIVING_ROUND_MS) and after a while in any case, so other transfers to the node take turns.
 */
export interface ArrivingFeedTiming {
  /**
   * How often to look for newly stored instances: the association sends faster than a sender stores,
   * so it would otherwise look after every instance or two (a query over the study each time).
   */
  pollMs: number;
  /** Release after this long with nothing new. */
  idleMs: number;
  /** Release after this long open. */
  maxOpenMs: number;
  /**
   * Answers are recorded within this long of arriving (one commit for all that came meanwhile), not one by
   * one: the disk flushes for the instances still arriving. If the process dies meanwhile, what was
   * answered since is sent again. The agreement is checked again at the same pace before more is handed over.
   */
  recordEveryMs: number;
}

export const ARRIVING_FEED_TIMING: ArrivingFeedTiming = {
  pollMs: 50,
  idleMs: 1000,
  maxOpenMs: 5000,
  recordEveryMs: 250,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Feeds one association with a study's instances as they are stored, and records the answers as they
 * come. MySQL is asked, not the receiver: the instances may arrive on another process. It stops when the
 * transfer is no longer delivering, when the study was routed and nothing is left to send, when the
 * agreement no longer allows the exchange, or on the timing above. A failure of its own (MySQL gone) ends
 * the stream early; finish() then records the answers, and throws if even that fails.
 */
export class ArrivingFeed {
  private readonly logger = new Logger(ArrivingFeed.name);
  private readonly offered = new Set<string>();
  private readonly recorder: OutcomeRecorder;
  private lastAllowedAt: number;
  private readonly openedAt: number;
  private lastLookAt = 0;
  private stopped = false;
  private looking: Promise<unknown> = Promise.resolve();
  /** What the study held when the feed last looked at its instances: a look that finds the same skips them. */
  private seen = '';

  constructor(
    private readonly transfers: TransferRepository,
    private readonly transfer: { id: string; studyId: string },
    first: PendingInstance[],
    private readonly toStored: (instance: PendingInstance) => StoredInstance,
    /** Why the exchange is no longer allowed, or undefined when it is. */
    private readonly refusal: () => Promise<string | undefined>,
    private readonly timing: ArrivingFeedTiming = ARRIVING_FEED_TIMING,
  ) {
    first.forEach((instance) => this.offered.add(instance.id));
    this.openedAt = this.lastAllowedAt = Date.now();
    this.recorder = new OutcomeRecorder(transfers, transfer.id, timing.recordEveryMs);
  }

  readonly onOutcome = (outcome: Parameters<OutcomeRecorder['onOutcome']>[0]): void => this.recorder.onOutcome(outcome);

  readonly next: InstanceFeed = () => {
    const look = this.look().catch((error: Error) => {
      this.logger.warn(`transfer ${this.transfer.id}: ending the association early: ${error.message}`);
      return [];
    });
    this.looking = look;
    return look;
  };

  /** Once the association has ended: records the answers not yet recorded (throws if it cannot). */
  async finish(): Promise<void> {
    this.stopped = true;
    await this.looking;
    await this.recorder.finish();
  }

  private async look(): Promise<StoredInstance[]> {
    const idleSince = Date.now();
    for (;;) {
      const wait = this.lastLookAt + this.timing.pollMs - Date.now();
      if (wait > 0) {
        await sleep(wait);
      }
      this.lastLookAt = Date.now();
      if (this.stopped) {
        return [];
      }
      const now = Date.now();
      const state = await this.transfers.lookWhileArriving(this.transfer.id, this.transfer.studyId);
      if (state?.state !== 'delivering' || now - this.openedAt >= this.timing.maxOpenMs) {
        return [];
      }
      // A count as well as the newest id: rows commit out of id order when several associations send.
      const holding = `${state.instances}/${state.lastInstanceId}`;
      const fresh =
        holding === this.seen
          ? []
          : (await this.transfers.getUnsentOfStudy(this.transfer.id, this.transfer.studyId)).filter(
              (instance) => !this.offered.has(instance.id),
            );
      this.seen = holding;
      if (fresh.length > 0) {
        if (now - this.lastAllowedAt >= this.timing.recordEveryMs) {
          if ((await this.refusal()) !== undefined) {
            return [];
          }
          this.lastAllowedAt = now;
        }
        fresh.forEach((instance) => this.offered.add(instance.id));
        return fresh.map(this.toStored);
      }
      // Routed: the router joined the last instances before it routed, and none of them is left to send.
      const arriving = state.studyState === 'receiving' || state.studyState === 'complete';
      if (!arriving || now - idleSince >= this.timing.idleMs) {
        return [];
      }
    }
  }
}
