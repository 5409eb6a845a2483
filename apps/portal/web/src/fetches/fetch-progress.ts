import type { FetchRequest } from '../api/types';

const MOVING: readonly string[] = ['queued', 'querying', 'retrieving'];

/** Whether a fetch is still under way, so its list keeps refreshing. */
export function fetchInFlight(fetches: readonly Pick<FetchRequest, 'state'>[] | undefined): boolean {
  return fetches?.some((fetch) => MOVING.includes(fetch.state)) ?? false;
}

/** "12 / 20" once the source said how many it holds, "12 so far" before; percent null while unknown. */
export function fetchProgress(
  fetch: Pick<FetchRequest, 'state' | 'expectedInstances' | 'completedInstances' | 'failedInstances'>,
): { text: string; percent: number | null } {
  const done = fetch.completedInstances;
  const failed = fetch.failedInstances > 0 ? `, ${fetch.failedInstances} failed` : '';
  if (fetch.expectedInstances === null || fetch.expectedInstances === 0) {
    return {
      text: fetch.state === 'queued' ? 'waiting' : `${done} so far${failed}`,
      percent: fetch.state === 'completed' ? 100 : null,
    };
  }
  const percent = Math.min(100, Math.round(((done + fetch.failedInstances) / fetch.expectedInstances) * 100));
  return { text: `${done} / ${fetch.expectedInstances}${failed}`, percent };
}

/** Which identifier the user gave: a UID alone, or an accession number with the patient ID. */
export function fetchRequestProblem(input: {
  from: string;
  studyInstanceUid: string;
  accessionNumber: string;
  patientId: string;
}): string | undefined {
  if (!input.from.trim()) {
    return 'Give the trust that holds the study (its ODS code).';
  }
  const uid = input.studyInstanceUid.trim();
  if (uid && !/^[0-9]+(\.[0-9]+)*$/.test(uid)) {
    return 'A Study Instance UID is digits separated by dots.';
  }
  if (!uid && !(input.accessionNumber.trim() && input.patientId.trim())) {
    return 'Give the Study Instance UID, or the accession number and the patient ID.';
  }
  return undefined;
}
