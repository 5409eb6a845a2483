import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { StorescpHandle, freePort, startStorescp, storescu } from './support/dcmtk';
import { GeneratedStudy, makeStudy } from './support/dicom-factory';
import { hubCli, hubCliAsync } from './support/hub-cli';
import { TestHub, addTrustRba, ra7PushNodeAt, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';
const ACCESSION = 'CLIACC0001';

// The operator's CLI as run from the build against the real hub: RA7's PACS is a port nothing listens on, so the
// study's delivery fails with a reason the transfer keeps; storescp plays RBA's PACS for the C-ECHO.
describe('CLI: nodes, agreements, echo, and transfers by study with their last error and timeline', () => {
  let hub: TestHub;
  let work: string;
  let configFile: string;
  let rbaPacs: StorescpHandle;
  let closedPort: number;
  let study: GeneratedStudy;
  let transferId: string;

  const cli = (args: string[]) => hubCli(hub, configFile, args);

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-cli-'));
    rbaPacs = await startStorescp({ aeTitle: 'RBA_PACS', outputDir: work, logLevel: 'debug' });
    closedPort = await freePort();
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds: 1,
      configure: (raw) => {
        ra7PushNodeAt(closedPort)(raw);
        addTrustRba(raw, rbaPacs.port);
      },
    });
    configFile = path.join(work, 'hub.yaml');
    writeFileSync(configFile, stringify(hub.rawConfig));
    study = await makeStudy(path.join(work, 'study'), {
      patientId: 'CLI0001',
      patientName: 'TEST^CLI',
      accessionNumber: ACCESSION,
      series: [{ kind: 'mr-small', count: 2 }],
    });
    const sent = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files);
    expect(sent.stores.map((store) => store.status)).toEqual([0, 0]);
    const failed = await waitFor('a failed delivery round with its reason', async () => {
      const [row] = (await hub.dataSource.query(
        `SELECT t.id, t.last_error AS lastError FROM transfers t JOIN studies s ON s.id = t.study_id
          WHERE s.study_instance_uid = ?`,
        [study.studyInstanceUid],
      )) as Array<{ id: string; lastError: string | null }>;
      return row?.lastError ? row : undefined;
    });
    transferId = failed.id;
    // The round's audit event follows its transition.
    await waitFor('the failed round audited', async () => {
      const [event] = (await hub.dataSource.query(
        `SELECT id FROM audit_events WHERE event = 'delivery-attempted'
            AND JSON_UNQUOTE(JSON_EXTRACT(detail, '$.transferId')) = ?`,
        [transferId],
      )) as Array<{ id: number }>;
      return event;
    });
  });

  afterAll(async () => {
    await hub?.destroy();
    await rbaPacs?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('nodes list: every node with its trust, address and roles, as a table and as JSON', () => {
    const table = cli(['nodes', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^aeTitle\s+trust\s+address\s+send\s+receive/);
    expect(table.stdout).toMatch(new RegExp(`RA7_PACS\\s+RA7\\s+127\\.0\\.0\\.1:${closedPort}\\s+true\\s+push`));
    expect(table.stdout).toMatch(new RegExp(`RBA_PACS\\s+RBA\\s+127\\.0\\.0\\.1:${rbaPacs.port}`));

    const json = cli(['nodes', 'list', '--json']);
    expect(json.code).toBe(0);
    const nodes = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(nodes.map((node) => node.aeTitle).sort()).toEqual([
      'RA7_PACS',
      'RBA_PACS',
      'RVJ_FAR',
      'RVJ_PACS',
      'RVJ_VIEW',
    ]);
    expect(nodes).toContainEqual(
      expect.objectContaining({ aeTitle: 'RVJ_VIEW', trust: 'RVJ', send: false, receive: 'pull', tlsSubject: null }),
    );
  });

  it('agreements list: the one agreement, its folders, in force', () => {
    const json = cli(['agreements', 'list', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({
        from: 'RVJ',
        to: 'RA7',
        folders: expect.arrayContaining(['emergency', 'elective']),
        suspended: false,
        inForce: true,
        active: true,
      }),
    ]);
    const table = cli(['agreements', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/RVJ\s+RA7\s+(emergency,elective|elective,emergency)\s+any/);
  });

  it('transfers list --study and --accession find the transfer, with its Study Instance UID and last error', () => {
    const byStudy = cli(['transfers', 'list', '--study', study.studyInstanceUid, '--json']);
    expect(byStudy.code).toBe(0);
    const rows = JSON.parse(byStudy.stdout) as Array<Record<string, unknown>>;
    expect(rows).toEqual([
      expect.objectContaining({
        id: transferId,
        studyInstanceUid: study.studyInstanceUid,
        recipient: 'RA7',
        lastError: expect.stringContaining('connection refused'),
      }),
    ]);

    const byAccession = cli(['transfers', 'list', '--accession', ACCESSION]);
    expect(byAccession.code).toBe(0);
    const [header, , line, ...more] = byAccession.stdout.trimEnd().split('\n');
    expect(header).toMatch(/\bstudyInstanceUid\s+lastError$/);
    expect(more).toEqual([]);
    expect(line).toContain(transferId);
    expect(line).toContain(study.studyInstanceUid);
    expect(line).toContain('connection refused');

    const none = cli(['transfers', 'list', '--accession', 'NO-SUCH-ACC']);
    expect(none.code).toBe(0);
    expect(none.stdout.trim()).toBe('(none)');
  });

  it('transfers show: the study, progress, last error and timeline, audited as a view by the CLI user', async () => {
    const shown = cli(['transfers', 'show', transferId, '--as', 'night-operator']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`transfer     ${transferId}`);
    expect(shown.stdout).toContain('exchange     RVJ → RA7, emergency folder');
    expect(shown.stdout).toMatch(/state\s+\S+: 0 of 2 instance\(s\) delivered/);
    expect(shown.stdout).toMatch(/last error\s+.*connection refused/);
    expect(shown.stdout).toContain(`study        ${study.studyInstanceUid}`);
    expect(shown.stdout).toContain(`accession ${ACCESSION}`);
    const timeline = shown.stdout.slice(shown.stdout.indexOf('timeline'));
    expect(timeline).toMatch(/study-routed\s+success/);
    expect(timeline).toMatch(/delivery-attempted\s+serious failure\s+.*connection refused/);
    // No patient identifiers in the text a terminal (and its scroll-back) keeps.
    expect(shown.stdout).not.toContain('CLI0001');
    expect(shown.stdout).not.toContain('TEST^CLI');

    const json = JSON.parse(cli(['transfers', 'show', transferId, '--json']).stdout) as {
      lastError: string;
      timeline: Array<{ event: string }>;
    };
    expect(json.lastError).toContain('connection refused');
    expect(json.timeline.map((event) => event.event)).toEqual(
      expect.arrayContaining(['instances-stored', 'study-routed', 'delivery-attempted']),
    );

    const viewed = (await hub.dataSource.query(
      `SELECT actor_user AS actor FROM audit_events WHERE event = 'transfer-viewed'
          AND JSON_UNQUOTE(JSON_EXTRACT(detail, '$.transferId')) = ? ORDER BY id`,
      [transferId],
    )) as Array<{ actor: string }>;
    expect(viewed.map((row) => row.actor)).toEqual(['cli:night-operator', `cli:${userInfo().username}`]);

    const missing = cli(['transfers', 'show', randomUUID()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^no transfer /);
  });

  it("echo: a C-ECHO from the hub's AE to a node, its failure exit 1, each audited", async () => {
    // Not spawnSync: storescp at debug level needs its output read while it answers.
    const answered = await hubCliAsync(hub, configFile, ['echo', 'RBA_PACS', '--as', 'echo-check']);
    expect(answered).toMatchObject({ code: 0, stderr: '' });
    // With the hub's calling AE, the one the node must allow.
    expect(answered.stdout).toMatch(new RegExp(`RBA_PACS\\s+127\\.0\\.0\\.1\\s+${rbaPacs.port}\\s+IEP_HUB\\s+success`));
    await rbaPacs.waitForLog(/Received Echo Request/);
    expect(rbaPacs.log()).toMatch(/IEP_HUB/);

    const unreachable = cli(['echo', 'RA7_PACS', '--json']);
    expect(unreachable.code).toBe(1);
    expect(JSON.parse(unreachable.stdout)).toEqual([
      expect.objectContaining({ aeTitle: 'RA7_PACS', ok: false, result: 'refused' }),
    ]);

    const unknown = cli(['echo', 'NO_SUCH_NODE']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no node NO_SUCH_NODE');

    const events = (await hub.dataSource.query(
      `SELECT actor_user AS actor, outcome, JSON_UNQUOTE(JSON_EXTRACT(detail, '$.result')) AS result
         FROM audit_events WHERE event = 'node-echoed' ORDER BY id`,
    )) as Array<{ actor: string; outcome: number; result: string }>;
    expect(events).toEqual([
      { actor: 'cli:echo-check', outcome: 0, result: 'success' },
      { actor: `cli:${userInfo().username}`, outcome: 8, result: 'refused' },
    ]);
  });

  it("runs through npm run hub's launcher (scripts/hub.js), which compiles only when the sources are newer", () => {
    const launched = spawnSync(
      process.execPath,
      [path.resolve(__dirname, '..', 'scripts', 'hub.js'), 'nodes', 'list'],
      {
        env: { ...process.env, HUB_CONFIG: configFile, DATABASE_URL: hub.databaseUrl, QUEUE_PREFIX: hub.queuePrefix },
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(launched.status).toBe(0);
    expect(launched.stdout).toMatch(/^aeTitle\s+trust/);
    // Just built (global set-up), so nothing to compile, unless a source changed since (a shared working tree).
    expect(launched.stderr).toMatch(/^(hub: compiling the server code[^\n]*\n)?$/);
  }, 150_000);

  it('help for each command; unknown commands, options and extra arguments are usage errors (exit 2)', () => {
    const help = cli(['transfers', 'show', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: hub transfers show [options] <transferId>');
    expect(help.stdout).toContain('--as <name>');
    const overview = cli(['--help']);
    expect(overview.code).toBe(0);
    expect(overview.stdout).toMatch(/echo \[options\] <aeTitle>\s+C-ECHO a node/);
    expect(overview.stdout).toMatch(/transfers list \[options\]\s+transfers, newest first/);

    for (const [args, message] of [
      [['nodes', 'lst'], "unknown command 'lst'"],
      [['echo'], "missing required argument 'aeTitle'"],
      [['echo', 'RBA_PACS', 'RA7_PACS'], 'too many arguments'],
      [['agreements', 'list', '--jsn'], "unknown option '--jsn'"],
      [['transfers', 'list', '--study'], "option '--study <uid>' argument missing"],
      [[], 'Usage: hub'],
    ] as const) {
      const result = cli([...args]);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(message);
      expect(result.stdout).toBe('');
    }
  });
});
