import { HubConfigModule, parseHubConfig } from '@hub/config';
import { DbModule, auditEventHash } from '@hub/db';
import { Test, TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditOutcome } from './audit-event.types';
import { AuditVerifyService } from './audit-verify.service';
import { AuditModule } from './audit.module';
import { AuditService } from './audit.service';

/** Its own database: the test edits and deletes audit rows directly, as a tamperer would. */
const databaseUrl = `${process.env.IEHUB_TEST_DATABASE_URL}_audit`;

describe('AuditVerifyService (real MariaDB)', () => {
  let moduleRef: TestingModule;
  let audit: AuditService;
  let verify: AuditVerifyService;
  let dataSource: DataSource;
  let ids: string[];

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        HubConfigModule.forRoot({
          hub: parseHubConfig({ hub: { aeTitle: 'IEP_HUB' }, trusts: [] }),
          env: { hubConfigPath: '(test)', databaseUrl, redisUrl: '', logLevel: 'error', queuePrefix: 'x' },
        }),
        DbModule.forRoot(databaseUrl),
        AuditModule,
      ],
    }).compile();
    moduleRef.useLogger(false);
    audit = moduleRef.get(AuditService);
    verify = moduleRef.get(AuditVerifyService);
    dataSource = moduleRef.get(getDataSourceToken());
  });

  afterAll(async () => {
    const name = new URL(databaseUrl).pathname.slice(1);
    await dataSource?.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await moduleRef?.close();
  });

  beforeEach(async () => {
    await dataSource.query('DELETE FROM audit_events');
    await dataSource.query(`UPDATE audit_chain_head SET last_hash = REPEAT('0', 64), last_event_id = 0 WHERE id = 1`);
    for (let index = 0; index < 5; index += 1) {
      await audit.record('study-completed', {
        outcome: AuditOutcome.Success,
        actor: { aeTitle: 'RA7_EMER' },
        patientId: `P${index}`,
        studyInstanceUid: `1.2.3.${index}`,
        detail: { studyId: `s${index}`, instances: index, bytes: 10 * index },
      });
    }
    ids = ((await dataSource.query('SELECT id FROM audit_events ORDER BY id')) as Array<{ id: string }>).map((r) =>
      String(r.id),
    );
  });

  it('passes an untouched trail', async () => {
    expect(await verify.verify(2)).toEqual({ intact: true, events: 5 });
  });

  it('names the row an UPDATE edited', async () => {
    await dataSource.query(`UPDATE audit_events SET patient_id = 'SOMEONE' WHERE id = ?`, [ids[2]]);
    expect(await verify.verify(2)).toMatchObject({
      intact: false,
      eventId: ids[2],
      problem: expect.stringMatching(/edited/),
    });
  });

  it('names the row an UPDATE of its JSON detail edited', async () => {
    await dataSource.query(`UPDATE audit_events SET detail = JSON_SET(detail, '$.instances', 99) WHERE id = ?`, [
      ids[3],
    ]);
    expect(await verify.verify(2)).toMatchObject({ intact: false, eventId: ids[3], events: 3 });
  });

  it('names the row after one edited with its own hash recomputed', async () => {
    const [row] = (await dataSource.query('SELECT * FROM audit_events WHERE id = ?', [ids[1]])) as Array<
      Record<string, unknown>
    >;
    const values = {
      occurredAt: row.occurred_at as Date,
      action: row.action as string,
      event: row.event as string,
      outcome: Number(row.outcome),
      actorAeTitle: row.actor_ae_title as string | null,
      patientId: 'SOMEONE ELSE',
      studyInstanceUid: row.study_instance_uid as string | null,
      detail: (typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail) as Record<string, unknown>,
    };
    await dataSource.query('UPDATE audit_events SET patient_id = ?, hash = ? WHERE id = ?', [
      'SOMEONE ELSE',
      auditEventHash(row.prev_hash as string, values),
      ids[1],
    ]);
    expect(await verify.verify(2)).toMatchObject({ intact: false, eventId: ids[2], events: 2 });
  });

  it('names the row after one a DELETE removed', async () => {
    await dataSource.query('DELETE FROM audit_events WHERE id = ?', [ids[1]]);
    expect(await verify.verify(2)).toMatchObject({ intact: false, eventId: ids[2], events: 1 });
  });

  it('notices the newest rows deleted, through the chain head', async () => {
    await dataSource.query('DELETE FROM audit_events WHERE id >= ?', [ids[3]]);
    expect(await verify.verify(2)).toMatchObject({ intact: false, eventId: null, events: 3 });
  });

  it('names a row inserted with a made-up hash', async () => {
    await dataSource.query(
      `INSERT INTO audit_events (occurred_at, action, event, outcome, detail, prev_hash, hash)
       SELECT occurred_at, action, event, outcome, detail, hash, REPEAT('f', 64) FROM audit_events WHERE id = ?`,
      [ids[4]],
    );
    const verification = await verify.verify(2);
    expect(verification).toMatchObject({ intact: false, events: 5 });
  });
});
