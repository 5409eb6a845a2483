import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { stringify } from 'yaml';
import { freePort } from './support/dcmtk';
import { hubCli } from './support/hub-cli';
import { specDatabaseUrl, testHubConfig } from './support/test-hub';

const APP_USER_SQL = path.resolve(__dirname, '..', 'deploy', 'mysql', 'app-user.sql');

/**
 * Migrations as a step of their own (`hub db migrate`, the compose `migrate` service) and the apps on an account
 * with data rights only (deploy/mysql/app-user.sql), starting with DATABASE_MIGRATE=skip.
 */
describe('database: a migrate step, and the apps on an account without schema rights', () => {
  const server = new URL(specDatabaseUrl());
  const database = `${server.pathname.slice(1)}_acct`;
  const appUser = `iehub_app_${randomBytes(3).toString('hex')}`;
  const appPassword = `pw-${randomBytes(8).toString('hex')}'x`;
  const rootUrl = `mysql://${server.username || 'root'}@${server.host}/${database}`;
  const appUrl = `mysql://${appUser}:${encodeURIComponent(appPassword)}@${server.host}/${database}`;
  let work: string;
  let configFile: string;

  const cli = (args: string[], databaseUrl: string, migrate: 'boot' | 'skip') =>
    hubCli({ databaseUrl, queuePrefix: `t${randomBytes(4).toString('hex')}` }, configFile, args, undefined, {
      DATABASE_MIGRATE: migrate,
    });
  const asRoot = async (sql: string) => {
    const connection = await createConnection({ uri: `mysql://${server.username || 'root'}@${server.host}/` });
    try {
      return await connection.query(sql);
    } finally {
      await connection.end();
    }
  };

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-db-account-'));
    mkdirSync(path.join(work, 'store'));
    configFile = path.join(work, 'hub.yaml');
    writeFileSync(configFile, stringify(testHubConfig(await freePort(), path.join(work, 'store'), 1)));
  });

  afterAll(async () => {
    await asRoot(`DROP USER IF EXISTS '${appUser}'@'%'`);
    await asRoot(`DROP DATABASE IF EXISTS \`${database}\``);
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses to start with DATABASE_MIGRATE=skip while migrations are pending, naming the step to run', async () => {
    await asRoot(`CREATE DATABASE \`${database}\``);
    const refused = cli(['nodes', 'list'], rootUrl, 'skip');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/DATABASE_MIGRATE=skip, but \d+ migration\(s\) have not run on this database/);
    expect(refused.stderr).toContain('db migrate');
  });

  it('db migrate runs every migration once, then has nothing to do', () => {
    const first = cli(['db', 'migrate', '--json'], rootUrl, 'boot');
    expect(first.code).toBe(0);
    const ran = JSON.parse(first.stdout) as Array<{ migration: string }>;
    expect(ran.length).toBeGreaterThan(3);
    expect(ran[0].migration).toMatch(/InitialSchema/);
    const again = cli(['db', 'migrate'], rootUrl, 'boot');
    expect(again).toMatchObject({ code: 0, stdout: 'database schema up to date\n' });
  });

  it('the app account made by deploy/mysql/app-user.sql reads and writes data but cannot change the schema', async () => {
    // As an administrator runs it: the mariadb client, three variables, then the file.
    const literal = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
    execFileSync(
      'mariadb',
      [
        `-h${server.hostname}`,
        `-P${server.port || '3306'}`,
        `-u${server.username || 'root'}`,
        '-e',
        `SET @hub_database = ${literal(database)}, @hub_user = ${literal(appUser)}, ` +
          `@hub_password = ${literal(appPassword)};\nSOURCE ${APP_USER_SQL}`,
      ],
      { stdio: 'pipe' },
    );

    // The apps' start (here the CLI's, which opens the database the same way) with the migrations already run.
    const applied = cli(['config', 'apply', configFile, '--json'], appUrl, 'skip');
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toContainEqual(
      expect.objectContaining({ entity: 'node', key: 'RA7_PACS', change: 'created' }),
    );
    const nodes = cli(['nodes', 'list', '--json'], appUrl, 'skip');
    expect({ code: nodes.code, stderr: nodes.stderr }).toEqual({ code: 0, stderr: '' });
    expect((JSON.parse(nodes.stdout) as Array<{ aeTitle: string }>).map((node) => node.aeTitle)).toContain('RA7_PACS');

    const app = await createConnection({ uri: appUrl });
    try {
      for (const statement of [
        'CREATE TABLE intruder (id INT)',
        'ALTER TABLE audit_events ADD COLUMN intruder INT',
        'DROP TABLE audit_events',
        `CREATE DATABASE \`${database}_other\``,
      ]) {
        await expect(app.query(statement)).rejects.toMatchObject({
          code: expect.stringMatching(/^ER_(TABLEACCESS|DBACCESS)_DENIED_ERROR$/),
        });
      }
    } finally {
      await app.end();
    }
    // Its one grant: data rights on the hub's database.
    const [grants] = (await asRoot(`SHOW GRANTS FOR '${appUser}'@'%'`)) as unknown as [Array<Record<string, string>>];
    expect(grants.map((row) => Object.values(row)[0]).join('\n')).toMatch(
      /GRANT SELECT, INSERT, UPDATE, DELETE ON `[^`]+`\.\* TO/,
    );
  });
});
