import type { NodeEcho } from '../api/types';

const FAILED_AS: Record<NodeEcho['result'], string> = {
  success: 'Success',
  status: 'Answered with a failure status',
  refused: 'Connection refused',
  rejected: 'Association rejected',
  aborted: 'Association aborted',
  timeout: 'No answer in time',
  network: 'Network error',
  'not-answered': 'No C-ECHO answer',
};

/** A C-ECHO's outcome in a few words, with the round-trip time, e.g. "Success in 12 ms". */
export function echoSummary(echo: Pick<NodeEcho, 'result' | 'roundTripMs'>): string {
  return `${FAILED_AS[echo.result] ?? echo.result} in ${echo.roundTripMs} ms`;
}

/**
 * For a node that rejected or aborted the hub's association (most often because it does not know the hub's
 * calling AE), which AE it must allow; undefined otherwise.
 */
export function echoAdvice(echo: Pick<NodeEcho, 'result' | 'callingAeTitle'>): string | undefined {
  return echo.result === 'rejected' || echo.result === 'aborted'
    ? `The hub calls as ${echo.callingAeTitle}: the node must allow that calling AE.`
    : undefined;
}
