import { Client, dimseLog, requests } from '../transport/dcmjs-bridge';
import { DEFAULT_SCU_TIMEOUTS, ScuTarget, openAssociation } from './scu-association';
import { AssociationFailedError } from './stored-instance';
import { SubOperationCounts } from '../scp/query-retrieve';
import { DimseStatus, isPendingStatus } from '../codec/dimse-status';

interface DimseResponse {
  getStatus(): number;
  getErrorComment?(): string | undefined;
  getDataset(): { getElements(): Record<string, unknown> } | undefined;
  getRemaining?(): number;
  getCompleted?(): number;
  getFailures?(): number;
  getWarnings?(): number;
}

/** Runs one request on its own association; resolves with every response once the association has closed. */
function runRequest(target: ScuTarget, request: object, onResponse: (response: DimseResponse) => void): Promise<void> {
  dimseLog.setLevel('error');
  const client = new Client();
  (request as { on(event: string, listener: (response: DimseResponse) => void): void }).on('response', onResponse);
  client.addRequest(request as never);
  return new Promise<void>((resolve, reject) =>
    openAssociation(client, target, DEFAULT_SCU_TIMEOUTS, (failure) =>
      failure ? reject(new AssociationFailedError(failure, [])) : resolve(),
    ),
  );
}

export interface FindResult {
  matches: Array<Record<string, unknown>>;
  status?: number;
  comment?: string;
}

/** C-FIND at STUDY level (Study Root) against a source's query/retrieve SCP. */
export async function findStudies(target: ScuTarget, keys: Record<string, string>): Promise<FindResult> {
  const request = requests.CFindRequest.createStudyFindRequest(keys);
  const result: FindResult = { matches: [] };
  await runRequest(target, request, (response) => {
    const status = response.getStatus();
    if (isPendingStatus(status)) {
      const dataset = response.getDataset();
      if (dataset) {
        result.matches.push(dataset.getElements());
      }
    } else {
      result.status = status;
      result.comment = response.getErrorComment?.();
    }
  });
  return result;
}

export interface MoveResult {
  status?: number;
  comment?: string;
  counts: SubOperationCounts;
}

/** C-MOVE of one study (Study Root) from a source to `destinationAeTitle`, reporting progress as it comes. */
export async function moveStudy(
  target: ScuTarget,
  destinationAeTitle: string,
  studyInstanceUid: string,
  onProgress: (counts: SubOperationCounts) => void = () => undefined,
): Promise<MoveResult> {
  const request = requests.CMoveRequest.createStudyMoveRequest(destinationAeTitle, studyInstanceUid);
  const result: MoveResult = { counts: { remaining: 0, completed: 0, failed: 0, warning: 0 } };
  await runRequest(target, request, (response) => {
    const counts = {
      remaining: response.getRemaining?.() ?? 0,
      completed: response.getCompleted?.() ?? 0,
      failed: response.getFailures?.() ?? 0,
      warning: response.getWarnings?.() ?? 0,
    };
    result.counts = counts;
    if (response.getStatus() === DimseStatus.Pending) {
      onProgress(counts);
    } else {
      result.status = response.getStatus();
      result.comment = response.getErrorComment?.();
    }
  });
  return result;
}
