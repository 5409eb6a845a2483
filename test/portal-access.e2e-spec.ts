import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { stringify } from 'yaml';
import { storescu } from './support/dcmtk';
import { makeStudy } from './support/dicom-factory';
import { hubCli } from './support/hub-cli';
import { addTrustRba, TestHub, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';
const NOTICE = /access to patient data on this system is audited/i;

type Auth = { Authorization: string };
type Who = 'operator' | 'governance' | 'adminRA7' | 'adminRBA' | 'clinicianRA7' | 'clinicianRBA';
const EVERYONE: Who[] = ['operator', 'governance', 'adminRA7', 'adminRBA', 'clinicianRA7', 'clinicianRBA'];

/** A minimal RFC 4180 reader: quoted fields, doubled quotes, CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else {
      field += char;
    }
  }
  return rows;
}

describe('portal: log-in, roles, restricted studies, audit search and export', () => {
  let hub: TestHub;
  let work: string;
  const as = {} as Record<Who, Auth>;
  let transferId: string;
  let restrictedTransferId: string;
  let routedStudyId: string;
  let quarantinedStudyId: string;
  let agreementId: string;

  const audited = async (event: string, where = '1 = 1', params: unknown[] = []) =>
    (await hub.dataSource.query(
      `SELECT action, outcome, actor_user AS actorUser, actor_address AS actorAddress, patient_id AS patientId,
              detail FROM audit_events WHERE event = ? AND ${where} ORDER BY id`,
      [event, ...params],
    )) as Array<{
      action: string;
      outcome: number;
      actorUser: string;
      actorAddress: string;
      patientId: string | null;
      detail: Record<string, unknown>;
    }>;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-portal-'));
    hub = await startTestHub({
      apps: ['receiver', 'router', 'portal'],
      stableStudySeconds: 1,
      configure: (raw) => {
        addTrustRba(raw);
        Object.assign(raw, {
          portal: { maxFailedLogins: 3, lockoutMinutes: 15 },
          restrictedPatientIds: ['VIP0001'],
        });
      },
    });
    const studies = {
      routed: await makeStudy(path.join(work, 'routed'), {
        patientId: 'GOV0001',
        patientName: 'TEST^GOVERNANCE',
        series: [{ kind: 'mr-small', count: 2 }],
      }),
      restricted: await makeStudy(path.join(work, 'restricted'), {
        patientId: 'VIP0001',
        patientName: 'TEST^VIP',
        series: [{ kind: 'mr-small', count: 1 }],
      }),
      unroutable: await makeStudy(path.join(work, 'unroutable'), {
        patientId: 'GOV0002',
        patientName: 'TEST^UNROUTABLE',
        series: [{ kind: 'mr-small', count: 1 }],
      }),
    };
    await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', [...studies.routed.files, ...studies.restricted.files]);
    await storescu(HOST, hub.port, 'RVJ_PACS', 'RBA_EMER', studies.unroutable.files);
    const uids = Object.values(studies).map((study) => study.studyInstanceUid);
    const rows = await waitFor('routing of the three studies', async () => {
      const found = (await hub.dataSource.query(
        `SELECT s.id, s.patient_id AS patientId, s.state, t.id AS transferId FROM studies s
           LEFT JOIN transfers t ON t.study_id = s.id WHERE s.study_instance_uid IN (?)`,
        [uids],
      )) as Array<{ id: string; patientId: string; state: string; transferId: string | null }>;
      return found.length === 3 && found.every((row) => row.state === 'routed' || row.state === 'quarantined')
        ? found
        : undefined;
    });
    const byPatient = (id: string) => rows.find((row) => row.patientId === id)!;
    transferId = byPatient('GOV0001').transferId!;
    routedStudyId = byPatient('GOV0001').id;
    restrictedTransferId = byPatient('VIP0001').transferId!;
    quarantinedStudyId = byPatient('GOV0002').id;
    expect(byPatient('GOV0002').state).toBe('quarantined');
    // RVJ→RA7 by code: other specs share the database and add agreements of their own.
    agreementId = (
      (await hub.dataSource.query(
        `SELECT a.id FROM agreements a JOIN trusts f ON f.id = a.from_trust_id JOIN trusts t ON t.id = a.to_trust_id
          WHERE f.code = 'RVJ' AND t.code = 'RA7'`,
      )) as Array<{ id: string }>
    )[0].id;

    as.operator = await hub.userSession('ops', 'operator');
    as.governance = await hub.userSession('gov', 'governance');
    as.adminRA7 = await hub.userSession('admin-ra7', 'trust-admin', 'RA7');
    as.adminRBA = await hub.userSession('admin-rba', 'trust-admin', 'RBA');
    as.clinicianRA7 = await hub.userSession('clin-ra7', 'clinician', 'RA7');
    as.clinicianRBA = await hub.userSession('clin-rba', 'clinician', 'RBA');
  });

  afterAll(async () => {
    await hub?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  describe('role matrix', () => {
    const cases: Array<[string, () => [method: 'get' | 'post', url: string], Partial<Record<Who, number>>]> = [
      ['health', () => ['get', '/api/health'], {}],
      ['transfer list', () => ['get', '/api/transfers'], {}],
      ['fetch list (each sees its own trust)', () => ['get', '/api/fetches'], {}],
      ['transfer RVJ→RA7', () => ['get', `/api/transfers/${transferId}`], { adminRBA: 403, clinicianRBA: 403 }],
      ['quarantine list', () => ['get', '/api/quarantine'], { clinicianRA7: 403, clinicianRBA: 403 }],
      [
        'quarantine release RVJ→RBA (still unroutable: 409)',
        () => ['post', `/api/quarantine/${quarantinedStudyId}/release`],
        { operator: 409, adminRBA: 409, governance: 403, adminRA7: 403, clinicianRA7: 403, clinicianRBA: 403 },
      ],
      ['agreement list', () => ['get', '/api/agreements'], { clinicianRA7: 403, clinicianRBA: 403 }],
      [
        'agreement resume',
        () => ['post', `/api/agreements/${agreementId}/resume`],
        { governance: 403, adminRA7: 403, adminRBA: 403, clinicianRA7: 403, clinicianRBA: 403 },
      ],
      [
        'study restrict',
        () => ['post', `/api/studies/${routedStudyId}/unrestrict`],
        { governance: 403, adminRA7: 403, adminRBA: 403, clinicianRA7: 403, clinicianRBA: 403 },
      ],
      ...(['/api/audit', '/api/audit/export.csv', '/api/audit/patients/GOV0001/access'].map((url) => [
        `audit ${url}`,
        () => ['get', url] as ['get', string],
        { adminRA7: 403, adminRBA: 403, clinicianRA7: 403, clinicianRBA: 403 },
      ]) as Array<[string, () => ['get', string], Partial<Record<Who, number>>]>),
      [
        'user list',
        () => ['get', '/api/users'],
        { governance: 403, adminRA7: 403, adminRBA: 403, clinicianRA7: 403, clinicianRBA: 403 },
      ],
    ];

    it.each(cases)('%s', async (_name, target, refused) => {
      const [method, url] = target();
      const outcomes: Record<string, number> = {};
      const expected: Record<string, number> = {};
      for (const who of EVERYONE) {
        outcomes[who] = (await request(hub.http!)[method](url).set(as[who])).status;
        expected[who] = refused[who] ?? 200;
      }
      expect(outcomes).toEqual(expected);
      if (url !== '/api/health') {
        expect((await request(hub.http!)[method](url)).status).toBe(401);
      }
    });

    it('keeps trust-admins and clinicians to their own trust in listings', async () => {
      const list = async (who: Who, query = '') =>
        (
          (await request(hub.http!).get(`/api/transfers${query}`).set(as[who]).expect(200)).body as {
            items: Array<{ id: string }>;
          }
        ).items;
      expect((await list('adminRBA')).map((row) => row.id)).not.toContain(transferId);
      expect((await list('adminRA7')).map((row) => row.id)).toContain(transferId);
      const other = await request(hub.http!).get('/api/transfers?trust=RA7').set(as.adminRBA).expect(403);
      expect((other.body as { message: string }).message).toMatch(/^trust: /);
      const quarantine = (await request(hub.http!).get('/api/quarantine').set(as.adminRA7).expect(200)).body as Array<{
        studyId: string;
      }>;
      expect(quarantine.map((row) => row.studyId)).not.toContain(quarantinedStudyId);
    });

    it('names the bad field in a 400, and never sends a stack trace', async () => {
      const bad = await request(hub.http!).get('/api/audit?from=yesterday').set(as.governance).expect(400);
      expect(bad.body).toEqual({ statusCode: 400, message: expect.stringMatching(/^from: /), error: 'Bad Request' });
      const size = await request(hub.http!).get('/api/audit?pageSize=5000').set(as.governance).expect(400);
      expect((size.body as { message: string }).message).toMatch(/^pageSize: /);
      const id = await request(hub.http!).get('/api/transfers/nope').set(as.operator).expect(400);
      expect((id.body as { message: string }).message).toBe('transferId: expected a UUID');
      const missing = await request(hub.http!)
        .get('/api/transfers/00000000-0000-4000-8000-000000000000')
        .set(as.operator)
        .expect(404);
      expect(JSON.stringify(missing.body)).not.toMatch(/at .*\.ts:\d+/);
    });
  });

  describe('log-in', () => {
    it('serves no patient data to a session until its user acknowledges the access notice', async () => {
      await hub.userSession('notice-late', 'operator');
      // A second session of the same user, as a script would open one: its own acknowledgement is needed.
      const { AccountsService } = await import('@hub/accounts');
      await hub.app
        .get(AccountsService)
        .create({ username: 'notice-script', password: 'notice-script-password-1', role: 'operator' }, 'test');
      const login = await request(hub.http!)
        .post('/api/auth/login')
        .send({ username: 'notice-script', password: 'notice-script-password-1' })
        .expect(200);
      const session = { Authorization: `Bearer ${(login.body as { token: string }).token}` };
      expect((login.body as { notice: string }).notice).toMatch(/audited/);
      for (const path of ['/api/transfers', '/api/audit', '/api/quarantine', '/api/operations', '/dicomweb/studies']) {
        const refused = await request(hub.http!).get(path).set(session);
        expect({ path, status: refused.status }).toEqual({ path, status: 403 });
        expect((refused.body as { message: string }).message).toMatch(/^acknowledge the access notice first/);
      }
      await request(hub.http!).get('/api/auth/me').set(session).expect(200);
      await request(hub.http!).post('/api/auth/notice-acknowledgement').set(session).expect(204);
      await request(hub.http!).get('/api/transfers').set(session).expect(200);
      await request(hub.http!).get('/dicomweb/studies').set(session).expect(200);
      expect(await audited('access-notice-acknowledged', 'actor_user = ?', ['notice-script'])).toHaveLength(1);
    });

    it('answers with a token and the notice that access is audited, and audits the log-in', async () => {
      await hub.userSession('notice-user', 'governance');
      const response = await request(hub.http!)
        .post('/api/auth/login')
        .send({ username: 'nobody-here', password: 'x' })
        .expect(401);
      expect(response.body).toEqual({
        statusCode: 401,
        message: 'invalid username or password',
        error: 'Unauthorized',
      });
      const [login] = await audited('user-logged-in', 'actor_user = ?', ['notice-user']);
      expect(login).toMatchObject({ action: 'UserAuthentication', outcome: 0, actorAddress: expect.any(String) });
      const body = (await request(hub.http!).get('/api/auth/me').set(as.governance).expect(200)).body as object;
      expect(body).toEqual({
        username: 'gov',
        role: 'governance',
        trust: null,
        permissions: [
          'transfers:read',
          'quarantine:read',
          'agreements:read',
          'audit:read',
          'fetches:read',
          'dicomweb:read',
        ],
      });
    });

    it('refuses a wrong password with 401, audited as a failed User Authentication (outcome 4)', async () => {
      const auth = await hub.userSession('wrong-pw', 'clinician', 'RA7');
      expect(auth.Authorization).toMatch(/^Bearer [A-Za-z0-9_-]{43}$/);
      await request(hub.http!).post('/api/auth/login').send({ username: 'wrong-pw', password: 'not it' }).expect(401);
      expect(await audited('user-login-failed', 'actor_user = ?', ['wrong-pw'])).toEqual([
        expect.objectContaining({
          action: 'UserAuthentication',
          outcome: 4,
          detail: expect.objectContaining({ reason: 'wrong password', failures: 1 }),
        }),
      ]);
      const missing = await request(hub.http!).post('/api/auth/login').send({ username: 'wrong-pw' }).expect(400);
      expect((missing.body as { message: string }).message).toBe('password: required');
    });

    it('locks the account after the configured failures, audited as a Security Alert; the right password then fails too', async () => {
      const password = 'lockout-user-password-1';
      await request(hub.http!)
        .post('/api/users')
        .set(as.operator)
        .send({ username: 'lock-me', password, role: 'clinician', trust: 'RA7' })
        .expect(201);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        await request(hub.http!).post('/api/auth/login').send({ username: 'lock-me', password: 'guess' }).expect(401);
      }
      const [locked] = await audited('account-locked', 'actor_user = ?', ['lock-me']);
      expect(locked).toMatchObject({ action: 'SecurityAlert', detail: expect.objectContaining({ failures: 3 }) });
      const refused = await request(hub.http!)
        .post('/api/auth/login')
        .send({ username: 'lock-me', password })
        .expect(401);
      expect((refused.body as { message: string }).message).toMatch(/locked/);
      const failures = await audited('user-login-failed', 'actor_user = ?', ['lock-me']);
      expect(failures.map((row) => (row.detail as { reason: string }).reason)).toEqual([
        'wrong password',
        'wrong password',
        'wrong password',
        'locked',
      ]);
      const users = (await request(hub.http!).get('/api/users').set(as.operator).expect(200)).body as Array<{
        username: string;
        lockedUntil: string | null;
      }>;
      expect(users.find((user) => user.username === 'lock-me')?.lockedUntil).toEqual(expect.any(String));
      // An operator lifts the lockout by enabling the account.
      await request(hub.http!).post('/api/users/lock-me/enable').set(as.operator).expect(200);
      const login = await request(hub.http!)
        .post('/api/auth/login')
        .send({ username: 'lock-me', password })
        .expect(200);
      expect((login.body as { notice: string }).notice).toMatch(NOTICE);
    });

    it('log-out ends the session, audited', async () => {
      const auth = await hub.userSession('leaver', 'governance');
      await request(hub.http!).get('/api/auth/me').set(auth).expect(200);
      await request(hub.http!).post('/api/auth/logout').set(auth).expect(204);
      await request(hub.http!).get('/api/auth/me').set(auth).expect(401);
      await request(hub.http!).get('/api/audit').set(auth).expect(401);
      expect(await audited('user-logged-out', 'actor_user = ?', ['leaver'])).toEqual([
        expect.objectContaining({ action: 'UserAuthentication', outcome: 0 }),
      ]);
    });

    it('a disabled account can neither log in nor keep using its session', async () => {
      const auth = await hub.userSession('to-disable', 'clinician', 'RBA');
      await request(hub.http!).post('/api/users/to-disable/disable').set(as.operator).expect(200);
      await request(hub.http!).get('/api/transfers').set(auth).expect(401);
    });
  });

  describe('restricted studies', () => {
    it('never lists one to a clinician, and refuses it by id with a Security Alert', async () => {
      const ids = (
        (await request(hub.http!).get('/api/transfers').set(as.clinicianRA7).expect(200)).body as {
          items: Array<{ id: string }>;
        }
      ).items.map((row) => row.id);
      expect(ids).toContain(transferId);
      expect(ids).not.toContain(restrictedTransferId);
      const byPatient = await request(hub.http!)
        .get('/api/transfers?patientId=VIP0001')
        .set(as.clinicianRA7)
        .expect(200);
      expect(byPatient.body).toMatchObject({ total: 0, items: [] });
      await request(hub.http!).get(`/api/transfers/${restrictedTransferId}`).set(as.clinicianRA7).expect(404);
      expect(await audited('restricted-study-accessed', 'actor_user = ?', ['clin-ra7'])).toEqual([
        expect.objectContaining({
          action: 'SecurityAlert',
          patientId: 'VIP0001',
          detail: expect.objectContaining({ how: 'refused' }),
        }),
      ]);
    });

    it('shows one to a trust-admin, raising a Security Alert for each access', async () => {
      const ids = (
        (await request(hub.http!).get('/api/transfers').set(as.adminRA7).expect(200)).body as {
          items: Array<{ id: string }>;
        }
      ).items.map((row) => row.id);
      expect(ids).toContain(restrictedTransferId);
      const detail = await request(hub.http!)
        .get(`/api/transfers/${restrictedTransferId}`)
        .set(as.adminRA7)
        .expect(200);
      expect((detail.body as { study: { restricted: boolean } }).study.restricted).toBe(true);
      const alerts = await audited('restricted-study-accessed', 'actor_user = ?', ['admin-ra7']);
      expect(alerts.map((row) => (row.detail as { how: string }).how)).toEqual(
        expect.arrayContaining(['listed', 'viewed']),
      );
    });

    it('an operator restricts and unrestricts a study through the API; the configuration rule cannot be lifted there', async () => {
      const restricted = await request(hub.http!)
        .post(`/api/studies/${routedStudyId}/restrict`)
        .set(as.operator)
        .expect(200);
      expect(restricted.body).toEqual({ studyId: routedStudyId, restricted: true });
      const hidden = (
        (await request(hub.http!).get('/api/transfers').set(as.clinicianRA7).expect(200)).body as {
          items: Array<{ id: string }>;
        }
      ).items;
      expect(hidden.map((row) => row.id)).not.toContain(transferId);
      await request(hub.http!).post(`/api/studies/${routedStudyId}/unrestrict`).set(as.operator).expect(200);
      const back = (
        (await request(hub.http!).get('/api/transfers').set(as.clinicianRA7).expect(200)).body as {
          items: Array<{ id: string }>;
        }
      ).items;
      expect(back.map((row) => row.id)).toContain(transferId);
      const [vip] = (await hub.dataSource.query('SELECT study_id AS id FROM transfers WHERE id = ?', [
        restrictedTransferId,
      ])) as Array<{ id: string }>;
      await request(hub.http!).post(`/api/studies/${vip.id}/unrestrict`).set(as.operator).expect(409);
      expect((await audited('study-restriction-changed', 'actor_user = ?', ['ops'])).slice(-2)).toEqual([
        expect.objectContaining({
          action: 'SecurityAlert',
          patientId: 'GOV0001',
          detail: expect.objectContaining({ restricted: true }),
        }),
        expect.objectContaining({ detail: expect.objectContaining({ restricted: false }) }),
      ]);
    });
  });

  describe('agreements', () => {
    it('an operator suspends and resumes one, audited as a configuration change by that user', async () => {
      const suspended = await request(hub.http!)
        .post(`/api/agreements/${agreementId}/suspend`)
        .set(as.operator)
        .expect(200);
      expect(suspended.body).toMatchObject({ from: 'RVJ', to: 'RA7', suspended: true, inForce: false });
      await request(hub.http!).post(`/api/agreements/${agreementId}/resume`).set(as.operator).expect(200);
      // Other specs share the database and may add RBA's agreements; none of RA7's may show.
      const list = (await request(hub.http!).get('/api/agreements').set(as.adminRBA).expect(200)).body as Array<{
        id: string;
        from: string;
        to: string;
      }>;
      expect(list.map((agreement) => agreement.id)).not.toContain(agreementId);
      expect(list.every((agreement) => agreement.from === 'RBA' || agreement.to === 'RBA')).toBe(true);
      const changes = await audited('config-changed', 'actor_user = ?', ['ops']);
      expect(changes).toEqual([
        expect.objectContaining({
          action: 'SecurityAlert',
          detail: expect.objectContaining({ key: 'RVJ->RA7', fields: ['suspended'] }),
        }),
        expect.objectContaining({ detail: expect.objectContaining({ key: 'RVJ->RA7' }) }),
      ]);
    });
  });

  describe('audit search', () => {
    it('every portal read is audited with the user as the active participant', async () => {
      await request(hub.http!).get(`/api/transfers/${transferId}`).set(as.clinicianRA7).expect(200);
      await request(hub.http!).get('/api/audit?patientId=GOV0001').set(as.governance).expect(200);
      expect(await audited('transfer-viewed', 'actor_user = ?', ['clin-ra7'])).toContainEqual(
        expect.objectContaining({
          action: 'DicomInstancesAccessed',
          patientId: 'GOV0001',
          actorAddress: expect.any(String),
        }),
      );
      expect(await audited('audit-searched', 'actor_user = ?', ['gov'])).toContainEqual(
        expect.objectContaining({ action: 'Query', patientId: 'GOV0001' }),
      );
      expect(await audited('transfers-queried', 'actor_user = ?', ['clin-ra7'])).not.toHaveLength(0);
    });

    it('pages through the trail, filtered', async () => {
      // Bounded before the first search, so the searches' own audit events stay out of the counts.
      const until = new Date().toISOString();
      const all = (await request(hub.http!).get(`/api/audit?to=${until}&pageSize=1000`).set(as.governance).expect(200))
        .body as { total: number; items: Array<{ id: string }> };
      expect(all.total).toBe(all.items.length);
      const page2 = (
        await request(hub.http!).get(`/api/audit?to=${until}&pageSize=5&page=2`).set(as.governance).expect(200)
      ).body as { total: number; items: Array<{ id: string }> };
      expect(page2.total).toBe(all.total);
      expect(page2.items.map((row) => row.id)).toEqual(all.items.slice(5, 10).map((row) => row.id));
      const failures = (
        await request(hub.http!)
          .get('/api/audit?action=UserAuthentication&event=user-login-failed&actor=lock-me')
          .set(as.governance)
          .expect(200)
      ).body as { items: Array<{ outcome: number; actorUser: string }> };
      expect(failures.items).toHaveLength(4);
      expect(failures.items.every((row) => row.outcome === 4 && row.actorUser === 'lock-me')).toBe(true);
      const bad = await request(hub.http!).get('/api/audit?action=Looked').set(as.governance).expect(400);
      expect((bad.body as { message: string }).message).toMatch(/^action: unknown value "Looked"/);
    });

    it('exports CSV with the same rows in the same order as the search, properly quoted', async () => {
      // A user name with a comma, a quote and a formula sign, typed at log-in, lands in the trail.
      await request(hub.http!).post('/api/auth/login').send({ username: '=cmd,"x"', password: 'p' }).expect(401);
      const query = `trust=RVJ&to=${new Date(Date.now() + 1000).toISOString()}`;
      const search = (await request(hub.http!).get(`/api/audit?${query}&pageSize=1000`).set(as.governance).expect(200))
        .body as { items: Array<Record<string, unknown>> };
      const all = (
        await request(hub.http!)
          .get(`/api/audit?to=${new Date(Date.now() + 1000).toISOString()}&event=user-login-failed&pageSize=1000`)
          .set(as.governance)
          .expect(200)
      ).body as { items: Array<Record<string, unknown>> };
      const csv = await request(hub.http!).get(`/api/audit/export.csv?${query}`).set(as.governance).expect(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      const [header, ...rows] = parseCsv(csv.text);
      expect(header).toEqual([
        'id',
        'occurredAt',
        'action',
        'event',
        'outcome',
        'actorUser',
        'actorAeTitle',
        'actorAddress',
        'sourceTrust',
        'destinationTrust',
        'patientId',
        'studyInstanceUid',
        'detail',
      ]);
      expect(search.items.length).toBeGreaterThan(5);
      expect(rows).toEqual(
        search.items.map((item) =>
          header.map((column) =>
            column === 'detail' ? JSON.stringify(item.detail) : item[column] === null ? '' : String(item[column]),
          ),
        ),
      );
      expect(csv.text).toContain('"{""calledAeTitle"":""RA7_EMER""');
      // The hostile user name: quoted, and defused so a spreadsheet shows it rather than runs it.
      const hostile = all.items.find((item) => item.actorUser === '=cmd,"x"');
      expect(hostile).toBeDefined();
      const export2 = await request(hub.http!)
        .get('/api/audit/export.csv?event=user-login-failed')
        .set(as.governance)
        .expect(200);
      expect(export2.text).toContain(`"'=cmd,""x"""`);
    });
  });

  it('serves the OpenAPI document at /api/docs', async () => {
    const document = await request(hub.http!).get('/api/docs-json').expect(200);
    const paths = Object.keys((document.body as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(
      expect.arrayContaining(['/api/auth/login', '/api/transfers/{transferId}', '/api/audit/export.csv']),
    );
    await request(hub.http!)
      .get('/api/docs')
      .expect((response) => expect([200, 301]).toContain(response.status));
  });

  it('CLI: creates an account with the password from stdin, never from the command line', () => {
    const configFile = path.join(work, 'hub.yaml');
    writeFileSync(configFile, stringify(hub.rawConfig));
    const cli = (args: string[], input?: string) => hubCli(hub, configFile, args, input);
    const created = cli(
      ['user', 'create', '--username', 'first-op', '--role', 'operator', '--json'],
      'first operator password\n',
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toEqual([
      expect.objectContaining({ username: 'first-op', role: 'operator', trust: null }),
    ]);
    const refused = cli(['user', 'create', '--username', 'clin-x', '--role', 'clinician'], 'another long password\n');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('trust: required for role clinician');
    const list = cli(['user', 'list']);
    expect(list.stdout).toMatch(/first-op\s+operator/);
  });

  it('CLI: the account it created logs in', async () => {
    const login = await request(hub.http!)
      .post('/api/auth/login')
      .send({ username: 'first-op', password: 'first operator password' })
      .expect(200);
    expect(login.body).toMatchObject({
      tokenType: 'Bearer',
      user: { username: 'first-op', role: 'operator', trust: null },
    });
    expect((login.body as { notice: string }).notice).toMatch(NOTICE);
  });
});
