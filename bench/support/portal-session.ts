// Portal accounts and sessions for the benchmarks that call the API: users written straight into the hub's
// database (with the hub's own password hashing), then logged in and the access notice acknowledged, as the
// API requires before it serves any patient data.
import { randomUUID } from 'node:crypto';
import { hashPassword } from '@hub/accounts';

export const BENCH_PASSWORD = 'bench-portal-password-1';

export type BenchUser = readonly [
  username: string,
  role: 'operator' | 'trust-admin' | 'clinician' | 'governance',
  trustId: string | null,
];

/** Creates (or resets) the accounts, all with BENCH_PASSWORD. */
export async function addBenchUsers(
  query: (sql: string, parameters: unknown[]) => Promise<unknown>,
  users: readonly BenchUser[],
): Promise<void> {
  const hash = await hashPassword(BENCH_PASSWORD);
  for (const [username, role, trustId] of users) {
    await query(
      `INSERT INTO users (id, username, password_hash, role, trust_id) VALUES (?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE password_hash = VALUES(password_hash), failed_logins = 0, locked_until = NULL`,
      [randomUUID(), username, hash, role, trustId],
    );
  }
}

/** Logs in and acknowledges the access notice; the session's bearer token. */
export async function benchLogin(base: string, username: string): Promise<string> {
  const response = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: BENCH_PASSWORD }),
  });
  if (!response.ok) {
    throw new Error(`log-in as ${username}: HTTP ${response.status} ${await response.text()}`);
  }
  const token = ((await response.json()) as { token: string }).token;
  const acknowledged = await fetch(`${base}/api/auth/notice-acknowledgement`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  if (!acknowledged.ok) {
    throw new Error(`notice acknowledgement as ${username}: HTTP ${acknowledged.status}`);
  }
  return token;
}
