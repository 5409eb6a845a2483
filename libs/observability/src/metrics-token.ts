import { timingSafeEqual } from 'node:crypto';

/**
 * Whether a scrape may read /metrics: always without a configured token, else only with
 * `Authorization: Bearer <token>` (compared in constant time).
 */
export function metricsAccessAllowed(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined) {
    return true;
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) {
    return false;
  }
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
