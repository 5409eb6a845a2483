import { agreementStatus } from './agreement-status';

describe('agreement status', () => {
  const now = new Date('2026-12-03T12:00:00Z');
  const base = { active: true, suspended: false, inForce: true, activeFrom: null, activeUntil: null };

  it('is in force when active, not suspended and within its dates', () => {
    expect(agreementStatus(base, now).label).toBe('In force');
  });

  it('says removed before suspended, and suspended before lapsed', () => {
    expect(agreementStatus({ ...base, active: false, suspended: true }, now).label).toBe('Removed');
    expect(agreementStatus({ ...base, suspended: true, activeUntil: '2026-01-01T00:00:00Z' }, now).label).toBe(
      'Suspended',
    );
  });

  it('tells a lapsed agreement from one not started yet', () => {
    expect(agreementStatus({ ...base, inForce: false, activeUntil: '2026-12-03T12:00:00Z' }, now).label).toBe('Lapsed');
    expect(agreementStatus({ ...base, inForce: false, activeFrom: '2027-01-01T00:00:00Z' }, now).label).toBe(
      'Not yet active',
    );
  });
});
