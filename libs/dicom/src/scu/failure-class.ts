import { isOutOfResources, isStoredStatus } from '../codec/dimse-status';
import { AssociationFailure } from './scu-association';
import { InstanceOutcome } from './stored-instance';

/**
 * Whether trying again can help (PS3.4 B.2.3, PS3.8 9.3.4): `transient` failures are retried with
 * backoff, `permanent` ones are not (the job fails at once, UnrecoverableError).
 */
export type FailureClass = 'permanent' | 'transient';

/**
 * An association that failed: only a permanent rejection is permanent. A transient rejection, an abort,
 * a refused connection, a timeout or a dropped connection may all go another time.
 */
export function classifyAssociationFailure(failure: AssociationFailure): FailureClass {
  return failure.kind === 'rejected' && failure.permanent ? 'permanent' : 'transient';
}

/**
 * A peer's DIMSE status for one instance: undefined when it was stored (success or warning); transient
 * for 0xA7xx Refused: Out of Resources; permanent for every other failure.
 */
export function classifyStatus(status: number): FailureClass | undefined {
  if (isStoredStatus(status)) {
    return undefined;
  }
  return isOutOfResources(status) ? 'transient' : 'permanent';
}

/**
 * What a send over one association calls for: the association's failure decides if there was one;
 * otherwise an instance refused only for now (0xA7xx) makes it transient. undefined when neither: the
 * answers stand as given (instances refused for good are failed, not retried).
 */
export function classifySend(
  failure: AssociationFailure | undefined,
  outcomes: readonly InstanceOutcome[],
): FailureClass | undefined {
  if (failure) {
    return classifyAssociationFailure(failure);
  }
  return outcomes.some((outcome) => outcome.status !== undefined && classifyStatus(outcome.status) === 'transient')
    ? 'transient'
    : undefined;
}
