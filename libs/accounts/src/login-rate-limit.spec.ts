import { HubConfig } from '@hub/config';
import { LoginRateLimiter } from './login-rate-limit';

const MINUTE = 60_000;

function limiter(loginFailuresPerAddress = 3, loginFailureWindowMinutes = 10): LoginRateLimiter {
  return new LoginRateLimiter({ portal: { loginFailuresPerAddress, loginFailureWindowMinutes } } as HubConfig);
}

describe('LoginRateLimiter', () => {
  it('lets an address fail up to its allowance, then holds it off until its oldest failure ages out', () => {
    const limit = limiter(3, 10);
    const t0 = 1_000_000;
    expect(limit.recordFailure('10.0.0.1', t0)).toEqual({ failures: 1, nowLimited: false, retryAfterSeconds: 0 });
    expect(limit.retryAfterSeconds('10.0.0.1', t0 + MINUTE)).toBe(0);
    limit.recordFailure('10.0.0.1', t0 + MINUTE);
    expect(limit.recordFailure('10.0.0.1', t0 + 2 * MINUTE)).toEqual({
      failures: 3,
      nowLimited: true,
      retryAfterSeconds: 8 * 60,
    });
    expect(limit.retryAfterSeconds('10.0.0.1', t0 + 2 * MINUTE)).toBe(8 * 60);
    expect(limit.retryAfterSeconds('10.0.0.1', t0 + 10 * MINUTE - 500)).toBe(1);
    // The first failure has aged out: one more attempt, and failing it holds the address off again.
    expect(limit.retryAfterSeconds('10.0.0.1', t0 + 10 * MINUTE)).toBe(0);
    expect(limit.recordFailure('10.0.0.1', t0 + 10 * MINUTE)).toMatchObject({ failures: 3, nowLimited: true });
  });

  it('counts each address on its own, whatever accounts it tries', () => {
    const limit = limiter(2, 10);
    limit.recordFailure('10.0.0.1', 0);
    limit.recordFailure('10.0.0.1', 1);
    expect(limit.retryAfterSeconds('10.0.0.1', 2)).toBeGreaterThan(0);
    expect(limit.retryAfterSeconds('10.0.0.2', 2)).toBe(0);
    expect(limit.retryAfterSeconds(undefined, 2)).toBe(0);
  });

  it('reports the limit reached only once, however many failures race past the check', () => {
    const limit = limiter(2, 10);
    const outcomes = [0, 1, 2, 3].map((at) => limit.recordFailure('10.0.0.9', at).nowLimited);
    expect(outcomes).toEqual([false, true, false, false]);
  });
});
