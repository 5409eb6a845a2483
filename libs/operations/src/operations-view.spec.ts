import { failuresByNode, oldestWaiting } from './operations-view';

describe('operations view', () => {
  const at = (iso: string) => new Date(iso);

  it('puts the oldest emergency transfer first, even when an elective one waited longer', () => {
    const transfers = [
      { id: 'elective-old', folder: 'elective', state: 'queued', createdAt: at('2026-12-03T08:00:00Z') },
      { id: 'emergency-new', folder: 'emergency', state: 'queued', createdAt: at('2026-12-03T10:00:00Z') },
      { id: 'emergency-old', folder: 'emergency', state: 'delivering', createdAt: at('2026-12-03T09:00:00Z') },
    ];
    expect(oldestWaiting(transfers)?.id).toBe('emergency-old');
    expect(oldestWaiting(transfers.filter((t) => t.folder === 'elective'))?.id).toBe('elective-old');
    expect(oldestWaiting([])).toBeUndefined();
  });

  it('counts a delivery round as failed when an instance failed or the outcome was not success', () => {
    const failures = failuresByNode([
      { outcome: 0, detail: { node: 'RA7_PACS@h:104', failed: 0 } },
      { outcome: 4, detail: { node: 'RA7_PACS@h:104', failed: 2 } },
      { outcome: 8, detail: { node: 'RA7_PACS@h:104', failed: 0, error: 'association rejected' } },
      { outcome: 0, detail: { node: 'RBA_PACS@h:104', failed: 1 } },
      { outcome: 8, detail: {} },
    ]);
    expect([...failures]).toEqual([
      ['RA7_PACS@h:104', 2],
      ['RBA_PACS@h:104', 1],
    ]);
  });
});
