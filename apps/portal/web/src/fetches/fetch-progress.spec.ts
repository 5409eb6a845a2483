import { fetchInFlight, fetchProgress, fetchRequestProblem } from './fetch-progress';

describe('fetch progress', () => {
  const fetch = { state: 'retrieving' as const, expectedInstances: 20, completedInstances: 12, failedInstances: 0 };

  it('counts against what the source said it holds', () => {
    expect(fetchProgress(fetch)).toEqual({ text: '12 / 20', percent: 60 });
    expect(fetchProgress({ ...fetch, failedInstances: 2 })).toEqual({ text: '12 / 20, 2 failed', percent: 70 });
  });

  it('has no percentage before the source answered', () => {
    expect(fetchProgress({ ...fetch, state: 'queued', expectedInstances: null, completedInstances: 0 })).toEqual({
      text: 'waiting',
      percent: null,
    });
    expect(fetchProgress({ ...fetch, state: 'querying', expectedInstances: null, completedInstances: 0 }).percent).toBe(
      null,
    );
  });

  it('keeps refreshing while any fetch is queued, querying or retrieving', () => {
    expect(fetchInFlight([{ state: 'completed' }, { state: 'querying' }])).toBe(true);
    expect(fetchInFlight([{ state: 'completed' }, { state: 'failed' }, { state: 'partially-completed' }])).toBe(false);
  });

  it('asks for a UID, or an accession number with a patient ID', () => {
    const empty = { from: 'RVJ', studyInstanceUid: '', accessionNumber: '', patientId: '' };
    expect(fetchRequestProblem(empty)).toMatch(/Study Instance UID, or the accession number/);
    expect(fetchRequestProblem({ ...empty, accessionNumber: 'A1' })).toMatch(/patient ID/);
    expect(fetchRequestProblem({ ...empty, accessionNumber: 'A1', patientId: 'P1' })).toBeUndefined();
    expect(fetchRequestProblem({ ...empty, studyInstanceUid: '1.2.840.1' })).toBeUndefined();
    expect(fetchRequestProblem({ ...empty, studyInstanceUid: '../x' })).toMatch(/digits separated by dots/);
    expect(fetchRequestProblem({ ...empty, from: ' ', studyInstanceUid: '1.2' })).toMatch(/ODS code/);
  });
});
