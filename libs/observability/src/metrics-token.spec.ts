import { metricsAccessAllowed } from './metrics-token';

describe('metricsAccessAllowed', () => {
  const token = 'scrape-token-0123456789';

  it('lets anyone read without a configured token', () => {
    expect(metricsAccessAllowed(undefined, undefined)).toBe(true);
  });

  it('asks for exactly the configured bearer token', () => {
    expect(metricsAccessAllowed(`Bearer ${token}`, token)).toBe(true);
    expect(metricsAccessAllowed(`bearer ${token}`, token)).toBe(true);
    expect(metricsAccessAllowed(undefined, token)).toBe(false);
    expect(metricsAccessAllowed(token, token)).toBe(false);
    expect(metricsAccessAllowed(`Bearer ${token}x`, token)).toBe(false);
    expect(metricsAccessAllowed(`Bearer ${token.slice(1)}`, token)).toBe(false);
    expect(metricsAccessAllowed('Basic c2NyYXBlOnRva2Vu', token)).toBe(false);
  });
});
