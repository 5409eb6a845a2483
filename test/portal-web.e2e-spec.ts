import { existsSync } from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { AccountsService } from '@hub/accounts';
import { findWebBuild } from '../apps/portal/src/web-app';
import { TestHub, startTestHub } from './support/test-hub';

// The portal serves the web app (built by `npm run build:web`, which `npm test` runs first) on the same
// origin as the API, with security headers, and audits the acknowledgement of the access notice.
describe('portal: the web app at /', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startTestHub({ apps: ['portal'] });
  });

  afterAll(async () => {
    await hub?.destroy();
  });

  it('finds the build from the sources, as the dist code finds it from dist/', () => {
    const build = findWebBuild(path.join(__dirname, '..', 'apps', 'portal', 'src'));
    expect(build).toBe(path.join(__dirname, '..', 'dist', 'portal-web'));
    expect(existsSync(path.join(build!, 'index.html'))).toBe(true);
  });

  it('serves the app at / with a CSP that allows no inline script, nosniff, and no X-Powered-By', async () => {
    const response = await request(hub.http!).get('/').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.text).toMatch(/<div id="root"><\/div>/);
    const csp = response.headers['content-security-policy'] as string;
    const scriptSrc = csp.split(';').find((directive) => directive.trim().startsWith('script-src'));
    expect(scriptSrc?.trim()).toBe("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers['cache-control']).toBe('no-cache');
  });

  it('loads nothing from another origin: every script and stylesheet of the page is under /assets/', async () => {
    const html = (await request(hub.http!).get('/').expect(200)).text;
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(urls.length).toBeGreaterThanOrEqual(2);
    for (const url of urls) {
      expect(url).toMatch(/^\/assets\/[\w.-]+\.(js|css)$/);
      const asset = await request(hub.http!).get(url).expect(200);
      expect(asset.headers['cache-control']).toMatch(/immutable/);
      expect(asset.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('answers a deep link with the app, and an unknown /api path with JSON 404', async () => {
    const deep = await request(hub.http!).get('/transfers/00000000-0000-4000-8000-000000000000').expect(200);
    expect(deep.text).toMatch(/<div id="root"><\/div>/);
    const api = await request(hub.http!).get('/api/no-such-thing').expect(404);
    expect(api.headers['content-type']).toMatch(/^application\/json/);
    expect(api.body).toMatchObject({ statusCode: 404 });
    expect(api.headers['x-powered-by']).toBeUndefined();
    await request(hub.http!).get('/api').expect(404);
    await request(hub.http!).post('/transfers').expect(404);
  });

  it('names the session scheme as an opaque bearer token, not a JWT, and documents the new endpoints', async () => {
    const document = (await request(hub.http!).get('/api/docs-json').expect(200)).body as {
      components: { securitySchemes: Record<string, { type: string; scheme: string; bearerFormat?: string }> };
      paths: Record<string, unknown>;
    };
    expect(document.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'opaque session token',
    });
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/api/auth/notice-acknowledgement',
        '/api/auth/password',
        '/api/audit/chain',
        '/api/operations',
      ]),
    );
  });

  it('audits the acknowledgement of the access notice, for a logged-in user only', async () => {
    await request(hub.http!).post('/api/auth/notice-acknowledgement').expect(401);
    const auth = await hub.userSession('notice-reader', 'trust-admin', 'RA7');
    await request(hub.http!).post('/api/auth/notice-acknowledgement').set(auth).expect(204);
    const rows = (await hub.dataSource.query(
      'SELECT action, outcome, actor_user AS user, source_trust AS trust, detail FROM audit_events WHERE event = ?',
      ['access-notice-acknowledged'],
    )) as Array<{ action: string; outcome: number; user: string; trust: string; detail: string | object }>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'UserAuthentication', outcome: 0, user: 'notice-reader', trust: 'RA7' });
    const detail = (typeof rows[0].detail === 'string' ? JSON.parse(rows[0].detail) : rows[0].detail) as {
      noticeSha256: string;
    };
    expect(detail.noticeSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('tells a client the user permissions at log-in, so the app shows only usable links', async () => {
    const auth = await hub.userSession('perm-clinician', 'clinician', 'RA7');
    const me = await request(hub.http!).get('/api/auth/me').set(auth).expect(200);
    expect(me.body).toEqual({
      username: 'perm-clinician',
      role: 'clinician',
      trust: 'RA7',
      permissions: [
        'transfers:read',
        'fetches:read',
        'fetches:request',
        'dicomweb:read',
        'viewer-links:manage',
        'find-it:search',
      ],
    });
  });

  it('lets a user change their own password: the current one is required, other sessions end, the change is audited', async () => {
    const username = 'changes-password';
    const password = 'the-first-password-1';
    await hub.app.get(AccountsService).create({ username, password, role: 'clinician', trust: 'RA7' }, 'test');
    const login = (secret: string) => request(hub.http!).post('/api/auth/login').send({ username, password: secret });
    const here = { Authorization: `Bearer ${((await login(password).expect(200)).body as { token: string }).token}` };
    const elsewhere = {
      Authorization: `Bearer ${((await login(password).expect(200)).body as { token: string }).token}`,
    };

    const wrong = await request(hub.http!)
      .post('/api/auth/password')
      .set(here)
      .send({ currentPassword: 'not-it', newPassword: 'a-brand-new-password' })
      .expect(400);
    expect(wrong.body).toMatchObject({ message: 'currentPassword: does not match your password' });
    const short = await request(hub.http!)
      .post('/api/auth/password')
      .set(here)
      .send({ currentPassword: password, newPassword: 'short' })
      .expect(400);
    expect((short.body as { message: string }).message).toMatch(/^newPassword: at least \d+ characters$/);

    await request(hub.http!)
      .post('/api/auth/password')
      .set(here)
      .send({ currentPassword: password, newPassword: 'a-brand-new-password' })
      .expect(204);
    await request(hub.http!).get('/api/auth/me').set(here).expect(200);
    await request(hub.http!).get('/api/auth/me').set(elsewhere).expect(401);
    await login(password).expect(401);
    await login('a-brand-new-password').expect(200);
    const [changed] = (await hub.dataSource.query(
      `SELECT actor_user AS user, detail FROM audit_events WHERE event = 'user-changed' AND actor_user = ?`,
      [username],
    )) as Array<{ user: string; detail: string | { change: string } }>;
    const detail =
      typeof changed.detail === 'string' ? (JSON.parse(changed.detail) as { change: string }) : changed.detail;
    expect(detail.change).toBe('password-changed');
  });

  it('checks the audit hash chain on request, for governance and operators only, and audits the check', async () => {
    const governance = await hub.userSession('chain-checker', 'governance');
    const clinician = await hub.userSession('chain-clinician', 'clinician', 'RA7');
    await request(hub.http!).get('/api/audit/chain').set(clinician).expect(403);
    const intact = await request(hub.http!).get('/api/audit/chain').set(governance).expect(200);
    expect(intact.body).toMatchObject({ intact: true, events: expect.any(Number) });
    expect((intact.body as { events: number }).events).toBeGreaterThan(3);

    // Edit one event behind the hub's back: the check names it.
    const [victim] = (await hub.dataSource.query(
      `SELECT id FROM audit_events WHERE event = 'user-logged-in' ORDER BY id LIMIT 1`,
    )) as Array<{ id: string }>;
    await hub.dataSource.query(`UPDATE audit_events SET actor_user = 'someone-else' WHERE id = ?`, [victim.id]);
    const broken = await request(hub.http!).get('/api/audit/chain').set(governance).expect(200);
    expect(broken.body).toMatchObject({
      intact: false,
      eventId: String(victim.id),
      problem: expect.stringMatching(/edited/),
    });
    const checks = (await hub.dataSource.query(
      `SELECT outcome FROM audit_events WHERE event = 'audit-chain-verified' AND actor_user = 'chain-checker' ORDER BY id`,
    )) as Array<{ outcome: number }>;
    expect(checks.map((row) => row.outcome)).toEqual([0, 12]);
  });
});
