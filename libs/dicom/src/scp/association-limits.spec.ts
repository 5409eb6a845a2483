import { AssociationLimits } from './association-limits';

describe('AssociationLimits', () => {
  it('refuses past the total and past one calling AE, and frees a slot once, however often released', () => {
    const limits = new AssociationLimits({ total: 3, perCallingAe: 2 });
    const a1 = limits.acquire('RVJ_PACS');
    const a2 = limits.acquire('RVJ_PACS');
    const a3 = limits.acquire('RVJ_PACS');
    expect([a1.ok, a2.ok, a3.ok]).toEqual([true, true, false]);
    expect(!a3.ok && a3.problem).toBe(
      '2 associations open from RVJ_PACS, the most allowed (dicom.maxAssociationsPerCallingAe)',
    );
    const b1 = limits.acquire('RA7_PACS');
    const b2 = limits.acquire('RA7_PACS');
    expect([b1.ok, b2.ok]).toEqual([true, false]);
    expect(!b2.ok && b2.problem).toBe('3 associations open, the most allowed (dicom.maxAssociations)');
    if (a1.ok) {
      a1.release();
      a1.release();
    }
    expect(limits.open).toBe(2);
    expect(limits.acquire('RA7_PACS').ok).toBe(true);
    expect(limits.acquire('RVJ_PACS').ok).toBe(false);
  });
});
