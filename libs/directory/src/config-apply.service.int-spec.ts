import { AuditModule } from '@hub/audit';
import { HubConfig, HubConfigModule, parseHubConfig } from '@hub/config';
import { DbModule } from '@hub/db';
import { Test, TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConfigApplyService } from './config-apply.service';

/** Its own database: applying a different configuration must not disturb the other specs' trusts. */
const databaseUrl = `${process.env.IEHUB_TEST_DATABASE_URL}_cfg`;

function config(overrides: { ra7Port?: number; agreements?: unknown[] } = {}): HubConfig {
  return parseHubConfig({
    hub: { aeTitle: 'IEP_HUB' },
    trusts: [
      {
        code: 'RVJ',
        name: 'North Bristol',
        patientIdIssuer: 'RVJ',
        inbound: { emergency: 'RVJ_EMER' },
        nodes: [{ aeTitle: 'RVJ_PACS', host: '127.0.0.1', port: 104, allowedIps: ['127.0.0.1'], send: true }],
      },
      {
        code: 'RA7',
        name: 'Bristol and Weston',
        patientIdIssuer: 'RA7',
        inbound: { emergency: 'RA7_EMER', elective: 'RA7_ELEC' },
        nodes: [{ aeTitle: 'RA7_PACS', host: '127.0.0.1', port: overrides.ra7Port ?? 105, allowedIps: ['127.0.0.1'] }],
      },
    ],
    agreements: overrides.agreements ?? [{ from: 'RVJ', to: 'RA7', folders: ['emergency'] }],
  });
}

describe('ConfigApplyService (real MariaDB)', () => {
  let moduleRef: TestingModule;
  let service: ConfigApplyService;
  let dataSource: DataSource;

  beforeAll(async () => {
    const base = config();
    moduleRef = await Test.createTestingModule({
      imports: [
        HubConfigModule.forRoot({
          hub: base,
          env: { hubConfigPath: '(test)', databaseUrl, redisUrl: '', logLevel: 'error', queuePrefix: 'x' },
        }),
        DbModule.forRoot(databaseUrl),
        AuditModule,
      ],
      providers: [ConfigApplyService],
    }).compile();
    moduleRef.useLogger(false);
    service = moduleRef.get(ConfigApplyService);
    dataSource = moduleRef.get(getDataSourceToken());
  });

  afterAll(async () => {
    const name = new URL(databaseUrl).pathname.slice(1);
    await dataSource?.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await moduleRef?.close();
  });

  const configEvents = async () =>
    (await dataSource.query(`SELECT detail FROM audit_events WHERE event = 'config-changed' ORDER BY id`)) as Array<{
      detail: string | Record<string, unknown>;
    }>;

  it('creates trusts, nodes and agreements, auditing each', async () => {
    const changes = await service.apply(config());
    expect(changes.map((change) => `${change.entity}:${change.key}:${change.change}`).sort()).toEqual([
      'agreement:RVJ->RA7:created',
      'node:RA7_PACS:created',
      'node:RVJ_PACS:created',
      'trust:RA7:created',
      'trust:RVJ:created',
    ]);
    expect(await configEvents()).toHaveLength(5);
  });

  it('changes nothing, not even a timestamp, when the same file is applied again', async () => {
    const before = await dataSource.query(
      'SELECT id, updated_at FROM trusts UNION ALL SELECT id, updated_at FROM nodes',
    );
    expect(await service.apply(config())).toEqual([]);
    expect(await configEvents()).toHaveLength(5);
    const after = await dataSource.query(
      'SELECT id, updated_at FROM trusts UNION ALL SELECT id, updated_at FROM nodes',
    );
    expect(after).toEqual(before);
  });

  it('updates only what changed, naming the fields', async () => {
    const changes = await service.apply(config({ ra7Port: 11105 }));
    expect(changes).toEqual([{ entity: 'node', key: 'RA7_PACS', change: 'updated', fields: ['port'] }]);
  });

  it('deactivates an agreement the file no longer has, and keeps its row', async () => {
    const changes = await service.apply(config({ ra7Port: 11105, agreements: [] }));
    expect(changes).toEqual([{ entity: 'agreement', key: 'RVJ->RA7', change: 'removed', fields: ['active'] }]);
    expect(await dataSource.query('SELECT active FROM agreements')).toEqual([{ active: 0 }]);
  });
});
