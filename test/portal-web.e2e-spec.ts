import { existsSync } from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
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
    expect(scriptSrc?.trim()).toBe("script-src 'self'");
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
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
      permissions: ['transfers:read', 'fetches:read', 'fetches:request'],
    });
  });
});
