import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AccountsService } from '@hub/accounts';
import request from 'supertest';
import { freePort, stopProcess, waitForPort } from './support/dcmtk';
import { TestHub, TestHubRawConfig, startTestHub } from './support/test-hub';

const HOST = '127.0.0.1';
const ALLOWED_FAILURES = 3;

interface AuditRow {
  event: string;
  action: string;
  outcome: number;
  user: string | null;
  address: string | null;
  detail: Record<string, unknown>;
}

/** A POST of JSON from a chosen local address (127.0.0.0/8 is all this machine's), through whatever listens on port. */
function postFrom(
  localAddress: string,
  port: number,
  route: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const payload = JSON.stringify(body);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: HOST,
        port,
        localAddress,
        method: 'POST',
        path: route,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

// The portal behind a reverse proxy at 127.0.0.1 (portal.trustProxy names it): req.ip, which the audit trail and
// the log-in limit use, is the client's address from X-Forwarded-For. Failed log-ins are limited per address.
describe('portal: log-in limited per address, and the client address behind a reverse proxy', () => {
  let hub: TestHub;
  let work: string;
  let password: string;

  const login = (username: string, secret: string, from?: string) => {
    const call = request(hub.http!).post('/api/auth/login').send({ username, password: secret });
    return from ? call.set('X-Forwarded-For', from) : call;
  };
  const auditSince = async (id: number, events: string[]) =>
    (await hub.dataSource.query(
      `SELECT event, action, outcome, actor_user AS user, actor_address AS address, detail FROM audit_events
        WHERE id > ? AND event IN (?) ORDER BY id`,
      [id, events],
    )) as AuditRow[];
  const lastAuditId = async () =>
    Number(
      ((await hub.dataSource.query('SELECT COALESCE(MAX(id), 0) AS id FROM audit_events')) as Array<{ id: number }>)[0]
        .id,
    );

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-login-limit-'));
    hub = await startTestHub({
      apps: ['portal'],
      configure: (raw) => {
        (raw as TestHubRawConfig & { portal: Record<string, unknown> }).portal = {
          trustProxy: HOST,
          loginFailuresPerAddress: ALLOWED_FAILURES,
          loginFailureWindowMinutes: 15,
          maxFailedLogins: 5,
        };
      },
    });
    password = 'the victim password 1';
    await hub.app.get(AccountsService).create({ username: 'victim', password, role: 'operator' }, 'test');
  });

  afterAll(async () => {
    await hub?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('answers the attempt after the allowance from one address with 429 and Retry-After, audited once', async () => {
    const before = await lastAuditId();
    const attacker = '127.0.0.21';
    // Failures against any accounts, known or not, count against the address.
    for (const username of ['victim', 'nobody', 'admin']) {
      await login(username, 'guessed wrong', attacker).expect(401);
    }
    const limited = await login('victim', 'guessed wrong again', attacker).expect(429);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect((limited.body as { message: string }).message).toMatch(/too many failed log-ins from your address/);
    // Held off before the password is checked: the right password does not get in from there either.
    await login('victim', password, attacker).expect(429);

    const alerts = await auditSince(before, ['login-rate-limited']);
    expect(alerts).toEqual([
      expect.objectContaining({ action: 'SecurityAlert', outcome: 8, address: attacker, user: 'admin' }),
    ]);
    expect(alerts[0].detail).toMatchObject({ failures: ALLOWED_FAILURES, windowMinutes: 15 });
    // The 429s are not failed log-ins of an account: only the three real attempts are.
    expect(await auditSince(before, ['user-login-failed'])).toHaveLength(ALLOWED_FAILURES);
  });

  it('keeps the account open to its owner at another address: the limit is by address, not by account', async () => {
    const owner = await login('victim', password, '127.0.0.22').expect(200);
    expect((owner.body as { user: { username: string } }).user.username).toBe('victim');
    const [account] = (await hub.dataSource.query(
      `SELECT locked_until AS lockedUntil FROM users WHERE username = 'victim'`,
    )) as Array<{ lockedUntil: Date | null }>;
    expect(account.lockedUntil).toBeNull();
    // The connection's own address (no proxy header) is another address too.
    await login('victim', password).expect(200);
  });

  describe('through haproxy', () => {
    let proxy: ChildProcess | undefined;
    let proxyPort: number;
    let portalPort: number;

    beforeAll(async () => {
      portalPort = await freePort();
      await new Promise<void>((resolve) => (hub.http as unknown as Server).listen(portalPort, HOST, resolve));
      proxyPort = await freePort();
      const configFile = path.join(work, 'haproxy.cfg');
      writeFileSync(
        configFile,
        [
          'global',
          '  maxconn 64',
          'defaults',
          '  mode http',
          '  timeout connect 5s',
          '  timeout client 30s',
          '  timeout server 30s',
          'frontend portal',
          `  bind ${HOST}:${proxyPort}`,
          '  option forwardfor',
          '  default_backend hub',
          'backend hub',
          `  server portal ${HOST}:${portalPort}`,
          '',
        ].join('\n'),
      );
      proxy = spawn('haproxy', ['-f', configFile, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
      await waitForPort(proxyPort, 10_000, { pid: proxy.pid, isAlive: () => proxy?.exitCode === null });
    });

    afterAll(async () => {
      if (proxy) {
        await stopProcess(proxy);
      }
      await new Promise<void>((resolve) => (hub.http as unknown as Server).close(() => resolve()));
    });

    it("records the client's address from X-Forwarded-For, not the proxy's, and ignores one the client forged", async () => {
      const before = await lastAuditId();
      const wrong = await postFrom('127.0.0.3', proxyPort, '/api/auth/login', { username: 'victim', password: 'no' });
      expect(wrong.status).toBe(401);
      const right = await postFrom(
        '127.0.0.3',
        proxyPort,
        '/api/auth/login',
        { username: 'victim', password },
        // haproxy appends the address it saw; only the hop the portal trusts (the proxy) may name the client.
        { 'X-Forwarded-For': '127.0.0.99' },
      );
      expect(right.status).toBe(200);
      const events = await auditSince(before, ['user-login-failed', 'user-logged-in']);
      expect(events.map(({ event, address }) => ({ event, address }))).toEqual([
        { event: 'user-login-failed', address: '127.0.0.3' },
        { event: 'user-logged-in', address: '127.0.0.3' },
      ]);
    });
  });
});
