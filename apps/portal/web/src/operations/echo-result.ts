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
