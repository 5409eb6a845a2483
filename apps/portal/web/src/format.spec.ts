import {
  deliveredProgress,
  formatBytes,
  formatDateTime,
  formatDicomDate,
  outcomeLabel,
  stateColor,
  stateLabel,
  timeLeft,
  waitedFor,
} from './format';

describe('formatting', () => {
  it('writes a date-time in the given zone, and a dash for nothing', () => {
    expect(formatDateTime('2026-12-03T14:05:09Z', { timeZone: 'UTC' })).toBe('03 Dec 2026, 14:05');
    expect(formatDateTime('2026-12-03T14:05:09Z', { timeZone: 'UTC', seconds: true })).toBe('03 Dec 2026, 14:05:09');
    expect(formatDateTime('2026-07-01T23:30:00Z', { timeZone: 'Europe/London' })).toBe('02 Jul 2026, 00:30');
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime('not a date')).toBe('—');
  });

  it('writes a DICOM date, keeping a value that is not one', () => {
    expect(formatDicomDate('20240131')).toBe('31 Jan 2024');
    expect(formatDicomDate('20240231')).toBe('20240231');
    expect(formatDicomDate('2024')).toBe('2024');
    expect(formatDicomDate(null)).toBe('—');
  });

  it('counts the time left before expiry in days, hours or minutes', () => {
    const now = new Date('2026-12-03T12:00:00Z');
    expect(timeLeft('2026-12-05T15:30:00Z', now)).toBe('2 d 3 h');
    expect(timeLeft('2026-12-04T05:59:00Z', now)).toBe('17 h 59 min');
    expect(timeLeft('2026-12-03T12:04:30Z', now)).toBe('4 min');
    expect(timeLeft('2026-12-03T12:00:10Z', now)).toBe('1 min');
    expect(timeLeft('2026-12-03T12:00:00Z', now)).toBe('expired');
    expect(timeLeft('2026-12-01T00:00:00Z', now)).toBe('expired');
  });

  it('names states and outcomes in words', () => {
    expect(stateLabel('partially-delivered')).toBe('Partially delivered');
    expect(stateLabel('cancelled')).toBe('Cancelled');
    expect(stateLabel('something-new')).toBe('something-new');
    expect(stateColor('failed')).toBe('red');
    expect(stateColor('delivered')).toBe('green');
    expect(outcomeLabel(0)).toBe('Success');
    expect(outcomeLabel(8)).toBe('Serious failure');
    expect(outcomeLabel(3)).toBe('Outcome 3');
  });

  it('shows delivered out of total, with a percentage that never divides by zero', () => {
    expect(deliveredProgress(3, 4)).toEqual({ text: '3 / 4', percent: 75 });
    expect(deliveredProgress(0, 0)).toEqual({ text: '0 / 0', percent: 0 });
  });

  it('writes disk sizes in powers of 1024', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(250 * 1024 ** 3)).toBe('250.0 GB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3.0 TB');
  });

  it('says how long something has waited', () => {
    const now = new Date('2026-12-03T12:00:00Z');
    expect(waitedFor('2026-12-03T11:59:30Z', now)).toBe('just now');
    expect(waitedFor('2026-12-03T11:55:00Z', now)).toBe('5 min');
    expect(waitedFor('2026-12-03T09:50:00Z', now)).toBe('2 h 10 min');
    expect(waitedFor('2026-11-30T08:00:00Z', now)).toBe('3 d 4 h');
  });
});
