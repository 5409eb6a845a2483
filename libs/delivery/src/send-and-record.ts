import { TransferRepository } from '@hub/db';
import {
  AssociationFailedError,
  FailureClass,
  InstanceFeed,
  InstanceOutcome,
  StoredInstance,
  classifySend,
  sendStoredInstances,
} from '@hub/dicom';
import { CoercionContext, CoercionRule, coercionTransform } from '@hub/coercion';
import { OutcomeRecorder } from './outcome-recorder';

/** Writes a transfer's answers as they come, and the rest once the association has ended. */
export interface AnswerRecorder {
  onOutcome(outcome: InstanceOutcome): void;
  finish(): Promise<void>;
}

export interface SendAndRecordRequest {
  transferId: string;
  target: Parameters<typeof sendStoredInstances>[0];
  instances: StoredInstance[];
  /** The recipient's coercion, applied to the copy that goes out; the stored file never changes. */
  coercion: { rules: CoercionRule[]; context: CoercionContext };
  /** Where answers are recorded; by default an OutcomeRecorder writing every `recordEveryMs`. */
  recorder?: AnswerRecorder;
  recordEveryMs?: number;
  /** More instances for the same association (a study still arriving). */
  more?: InstanceFeed;
  /** Called with each answer as well (C-MOVE reports sub-operation progress from it). */
  onOutcome?: (outcome: InstanceOutcome) => void;
}

export interface SendAndRecordResult {
  /** Every instance's outcome, those left unanswered included. */
  outcomes: InstanceOutcome[];
  /** How the association failed, when it did. */
  failure?: AssociationFailedError;
  /** Whether to retry (transient), give up (permanent), or neither (the answers stand). */
  failureClass?: FailureClass;
}

/** Answers recorded at once past this many, whatever the time (the recorder's own batch). */
const DEFAULT_RECORD_EVERY_MS = 250;

/**
 * Sends a transfer's stored instances over one association and records the answers: each instance's
 * outcome on the transfer as it comes (so a crash re-sends only what was answered since the last
 * write), coercion problems as the transfer's flag, and the failure classified. Delivery (push) and
 * C-MOVE sub-operations (pull) both go through here.
 */
export async function sendAndRecord(
  transfers: Pick<TransferRepository, 'recordOutcomes' | 'setFlag'>,
  request: SendAndRecordRequest,
): Promise<SendAndRecordResult> {
  const recorder =
    request.recorder ??
    new OutcomeRecorder(transfers, request.transferId, request.recordEveryMs ?? DEFAULT_RECORD_EVERY_MS);
  const coercionProblems = new Set<string>();
  let outcomes: InstanceOutcome[];
  let failure: AssociationFailedError | undefined;
  try {
    outcomes = await sendStoredInstances(request.target, request.instances, {
      transform: coercionTransform(request.coercion.rules, request.coercion.context, (problem) =>
        coercionProblems.add(problem),
      ),
      more: request.more,
      onOutcome: (outcome) => {
        recorder.onOutcome(outcome);
        request.onOutcome?.(outcome);
      },
    });
  } catch (error) {
    if (!(error instanceof AssociationFailedError)) {
      throw error;
    }
    failure = error;
    outcomes = error.outcomes;
  }
  if (coercionProblems.size > 0) {
    await transfers.setFlag(request.transferId, [...coercionProblems].join('; '));
  }
  await recorder.finish();
  return { outcomes, failure, failureClass: classifySend(failure?.failure, outcomes) };
}
