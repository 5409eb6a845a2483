import { echoAdvice, echoSummary } from './echo-result';

describe('C-ECHO summary', () => {
  it('says how the echo went and how long it took', () => {
    expect(echoSummary({ result: 'success', roundTripMs: 12 })).toBe('Success in 12 ms');
    expect(echoSummary({ result: 'refused', roundTripMs: 1 })).toBe('Connection refused in 1 ms');
    expect(echoSummary({ result: 'timeout', roundTripMs: 5004 })).toBe('No answer in time in 5004 ms');
  });

  it("names the hub's calling AE when the node rejected or aborted the association, and only then", () => {
    expect(echoAdvice({ result: 'rejected', callingAeTitle: 'IEP_HUB' })).toBe(
      'The hub calls as IEP_HUB: the node must allow that calling AE.',
    );
    expect(echoAdvice({ result: 'aborted', callingAeTitle: 'IEP_HUB' })).toMatch(/IEP_HUB/);
    expect(echoAdvice({ result: 'refused', callingAeTitle: 'IEP_HUB' })).toBeUndefined();
    expect(echoAdvice({ result: 'success', callingAeTitle: 'IEP_HUB' })).toBeUndefined();
  });
});
