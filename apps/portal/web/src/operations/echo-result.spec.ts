import { echoSummary } from './echo-result';

describe('C-ECHO summary', () => {
  it('says how the echo went and how long it took', () => {
    expect(echoSummary({ result: 'success', roundTripMs: 12 })).toBe('Success in 12 ms');
    expect(echoSummary({ result: 'refused', roundTripMs: 1 })).toBe('Connection refused in 1 ms');
    expect(echoSummary({ result: 'timeout', roundTripMs: 5004 })).toBe('No answer in time in 5004 ms');
  });
});
