import type { Agreement } from '../api/types';
import { agreementGrid } from './agreement-grid';

const agreement = (values: Partial<Agreement>): Agreement => ({
  id: 'a',
  from: 'RVJ',
  to: 'RA7',
  folders: ['emergency', 'elective'],
  modalities: null,
  activeFrom: null,
  activeUntil: null,
  suspended: false,
  active: true,
  source: 'config',
  inForce: true,
  ...values,
});

describe('agreement grid', () => {
  const now = new Date('2026-12-03T12:00:00Z');

  it('puts each agreement in its folder grid, sender by recipient', () => {
    const agreements = [agreement({}), agreement({ from: 'RA7', to: 'RBA', folders: ['emergency'], suspended: true })];
    const emergency = agreementGrid(agreements, 'emergency', now);
    expect(emergency.trusts).toEqual(['RA7', 'RBA', 'RVJ']);
    expect(emergency.cell('RVJ', 'RA7')?.label).toBe('In force');
    expect(emergency.cell('RA7', 'RBA')?.label).toBe('Suspended');
    expect(emergency.cell('RA7', 'RVJ')).toBeUndefined();
    expect(agreementGrid(agreements, 'elective', now).cell('RA7', 'RBA')).toBeUndefined();
  });

  it('shows the agreement that decides when a pair has several', () => {
    const grid = agreementGrid([agreement({ id: 'old', active: false }), agreement({ id: 'new' })], 'elective', now);
    expect(grid.cell('RVJ', 'RA7')?.label).toBe('In force');
    const lapsed = agreementGrid(
      [agreement({ active: false }), agreement({ inForce: false, activeUntil: '2026-01-01T00:00:00Z' })],
      'elective',
      now,
    );
    expect(lapsed.cell('RVJ', 'RA7')?.label).toBe('Lapsed');
  });
});
