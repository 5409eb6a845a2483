import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { stringify } from 'yaml';
import { storescu } from './support/dcmtk';
import { makeStudy } from './support/dicom-factory';
import { hubCli } from './support/hub-cli';
import { addTrustRba, TestHub, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';

describe('operator API and CLI over routed and quarantined studies', () => {
  let hub: TestHub;
  let work: string;
  let configFile: string;
  let quarantinedStudyId: string;
  let auth: { Authorization: string };

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-operator-'));
    hub = await startTestHub({
      apps: ['receiver', 'router', 'portal'],
      stableStudySeconds: 1,
      configure: (raw) => {
        addTrustRba(raw);
      },
    });
    configFile = path.join(work, 'hub.yaml');
    writeFileSync(configFile, stringify(hub.rawConfig));

    const routed = await makeStudy(path.join(work, 'routed'), {
      patientId: 'OPS0001',
      patientName: 'TEST^ROUTED',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    const unroutable = await makeStudy(path.join(work, 'unroutable'), {
      patientId: 'OPS0002',
      patientName: 'TEST^UNROUTABLE',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    expect((await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', routed.files)).stores.map((s) => s.status)).toEqual([
      0, 0,
    ]);
    expect(
      (await storescu(HOST, hub.port, 'RVJ_PACS', 'RBA_EMER', unroutable.files)).stores.map((s) => s.status),
    ).toEqual([0, 0]);
    const states = await waitFor('routing of both studies', async () => {
      const rows = (await hub.dataSource.query(
        'SELECT id, study_instance_uid AS uid, state FROM studies WHERE study_instance_uid IN (?, ?)',
        [routed.studyInstanceUid, unroutable.studyInstanceUid],
      )) as Array<{ id: string; uid: string; state: string }>;
      return rows.length === 2 && rows.every((row) => row.state === 'routed' || row.state === 'quarantined')
        ? rows
        : undefined;
    });
    quarantinedStudyId = states.find((row) => row.uid === unroutable.studyInstanceUid)!.id;
    auth = await hub.userSession('ops-operator', 'operator');
  });

  afterAll(async () => {
    await hub?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses the operator API without a session', async () => {
    await request(hub.http!).get('/api/transfers').expect(401);
    await request(hub.http!).get('/api/quarantine').set('Authorization', 'Bearer wrong').expect(401);
  });

  it('lists transfers with their filters, and names a bad filter', async () => {
    const all = await request(hub.http!).get('/api/transfers').set(auth).expect(200);
    const mine = (
      all.body as { items: Array<{ recipient: string; state: string; instances: number; hasReport: boolean }> }
    ).items.filter((transfer) => transfer.recipient === 'RA7');
    expect(mine).toContainEqual(expect.objectContaining({ state: 'queued', instances: 2, hasReport: false }));
    const noReport = await request(hub.http!).get('/api/transfers?withoutReport=true&trust=RA7').set(auth).expect(200);
    expect((noReport.body as { items: unknown[] }).items.length).toBeGreaterThan(0);
    const bad = await request(hub.http!).get('/api/transfers?state=lost').set(auth).expect(400);
    expect((bad.body as { message: string }).message).toMatch(/^state: expected one of/);
  });

  it('lists the quarantined study with its reason, and will not release it while no agreement allows it', async () => {
    const list = await request(hub.http!).get('/api/quarantine').set(auth).expect(200);
    expect(list.body).toContainEqual(
      expect.objectContaining({
        studyId: quarantinedStudyId,
        recipient: 'RBA',
        reason: 'no sharing agreement between these trusts',
      }),
    );
    const refused = await request(hub.http!)
      .post(`/api/quarantine/${quarantinedStudyId}/release`)
      .set(auth)
      .expect(409);
    expect((refused.body as { message: string }).message).toContain('still unroutable');
    await request(hub.http!).post('/api/quarantine/not-a-uuid/release').set(auth).expect(400);
  });

  it('CLI: lists transfers as JSON and quarantined studies as a table', () => {
    const transfers = hubCli(hub, configFile, ['transfers', 'list', '--trust', 'RA7', '--json']);
    expect(transfers.code).toBe(0);
    const rows = JSON.parse(transfers.stdout) as Array<{ sender: string; recipient: string; studyId: string }>;
    // --trust matches a trust as sender or recipient (other specs in the run send from RA7 too).
    expect(rows.every((row) => row.recipient === 'RA7' || row.sender === 'RA7')).toBe(true);
    expect(rows.length).toBeGreaterThan(0);

    const quarantine = hubCli(hub, configFile, ['quarantine', 'list']);
    expect(quarantine.code).toBe(0);
    expect(quarantine.stdout).toMatch(/studyId\s+sender\s+recipient/);
    expect(quarantine.stdout).toContain(quarantinedStudyId);
  });

  it('CLI: discards the quarantined study, purging its files but keeping its record', async () => {
    const files = (await hub.dataSource.query('SELECT storage_path FROM instances WHERE study_id = ?', [
      quarantinedStudyId,
    ])) as Array<{ storage_path: string }>;
    expect(files.every((file) => existsSync(path.join(hub.storageDir, file.storage_path)))).toBe(true);

    const result = hubCli(hub, configFile, ['quarantine', 'discard', quarantinedStudyId]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ instancesPurged: 2 });
    expect(files.some((file) => existsSync(path.join(hub.storageDir, file.storage_path)))).toBe(false);
    const [study] = (await hub.dataSource.query('SELECT state FROM studies WHERE id = ?', [
      quarantinedStudyId,
    ])) as Array<{
      state: string;
    }>;
    expect(study.state).toBe('discarded');
    const audited = (await hub.dataSource.query(
      `SELECT actor_user FROM audit_events WHERE event = 'quarantine-discarded' AND JSON_EXTRACT(detail, '$.studyId') = ?`,
      [quarantinedStudyId],
    )) as Array<{ actor_user: string }>;
    expect(audited).toHaveLength(1);
    expect(audited[0].actor_user).toMatch(/^cli:/);
  });

  it('CLI: config apply of the running configuration changes nothing; a bad file is refused by field', () => {
    const same = hubCli(hub, configFile, ['config', 'apply', configFile, '--json']);
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toEqual([]);

    const badFile = path.join(work, 'bad.yaml');
    writeFileSync(
      badFile,
      stringify({ ...hub.rawConfig, agreements: [{ from: 'RVJ', to: 'NOPE', folders: ['emergency'] }] }),
    );
    const bad = hubCli(hub, configFile, ['config', 'apply', badFile]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('agreements[0].to: unknown trust "NOPE"');
  });

  it('CLI: audit verify finds the trail the hub wrote intact', () => {
    const result = hubCli(hub, configFile, ['audit', 'verify']);
    expect(result.stdout).toMatch(/^audit trail intact: \d+ event\(s\)/);
    expect(result.code).toBe(0);
  });

  it('CLI: expire --dry-run lists what is due and changes nothing; bad commands exit 2', () => {
    const dryRun = hubCli(hub, configFile, ['expire', '--dry-run', '--json']);
    expect(dryRun.code).toBe(0);
    expect(JSON.parse(dryRun.stdout)).toEqual([]);
    expect(hubCli(hub, configFile, ['transfers', 'delete']).code).toBe(2);
  });

  it('CLI: refuses a misspelt option instead of ignoring it', () => {
    const misspelt = hubCli(hub, configFile, ['transfers', 'list', '--sate', 'queued']);
    expect(misspelt.code).toBe(2);
    expect(misspelt.stderr).toContain("unknown option '--sate'\n(Did you mean --state?)");
    expect(misspelt.stdout).toBe('');
    const valueless = hubCli(hub, configFile, ['transfers', 'list', '--state']);
    expect(valueless.code).toBe(2);
    expect(valueless.stderr).toContain("option '--state <state>' argument missing");
    const swallowing = hubCli(hub, configFile, ['transfers', 'list', '--state', '--json']);
    expect(swallowing.code).toBe(2);
    expect(swallowing.stderr).toContain('it needs a value, not another option');
  });

  it('CLI: audits who acted as --as names, else as the OS account, even with $USER unset (cron)', async () => {
    const created = hubCli(
      hub,
      configFile,
      ['user', 'create', '--username', 'cli-as-test', '--role', 'governance', '--as', 'nightly-job'],
      undefined,
      { HUB_USER_PASSWORD: 'a long enough password 1', USER: undefined },
    );
    expect(created.code).toBe(0);
    const disabled = hubCli(hub, configFile, ['user', 'disable', 'cli-as-test'], undefined, { USER: undefined });
    expect(disabled.code).toBe(0);
    const actors = (await hub.dataSource.query(
      `SELECT JSON_UNQUOTE(JSON_EXTRACT(detail, '$.change')) AS \`change\`, actor_user AS actor FROM audit_events
        WHERE event = 'user-changed' AND JSON_UNQUOTE(JSON_EXTRACT(detail, '$.username')) = 'cli-as-test' ORDER BY id`,
    )) as Array<{ change: string; actor: string }>;
    expect(actors).toEqual([
      { change: 'created', actor: 'cli:nightly-job' },
      { change: 'disabled', actor: `cli:${userInfo().username}` },
    ]);
  });
});
