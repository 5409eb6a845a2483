import { AuditModule } from '@hub/audit';
import { HubConfigModule, parseHubConfig } from '@hub/config';
import {
  DbModule,
  InstanceRepository,
  NodeRepository,
  PendingInstance,
  StudyRepository,
  TransferRepository,
  TrustRepository,
} from '@hub/db';
import { ConfigApplyService } from '@hub/directory';
import { Test, TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ArrivingFeed, ArrivingFeedTiming } from './arriving-feed';

/** Its own database: the spec moves studies and transfers between states directly. */
const databaseUrl = `${process.env.IEHUB_TEST_DATABASE_URL}_feed`;

const CT = '1.2.840.10008.5.1.4.1.1.2';
const BASIC_TEXT_SR = '1.2.840.10008.5.1.4.1.1.88.11';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';

/** Fast enough for a test, with the same shape as the defaults. */
const TIMING: ArrivingFeedTiming = { pollMs: 5, idleMs: 300, maxOpenMs: 5000, recordEveryMs: 50 };

const hubConfig = parseHubConfig({
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
      inbound: { emergency: 'RA7_EMER' },
      nodes: [{ aeTitle: 'RA7_PACS', host: '127.0.0.1', port: 105, allowedIps: ['127.0.0.1'], receive: 'push' }],
    },
  ],
  agreements: [{ from: 'RVJ', to: 'RA7', folders: ['emergency'] }],
});

describe('ArrivingFeed (real MariaDB)', () => {
  let moduleRef: TestingModule;
  let dataSource: DataSource;
  let transfers: TransferRepository;
  let studies: StudyRepository;
  let instances: InstanceRepository;
  let sender: { nodeId: string; trustId: string };
  let recipientTrustId: string;
  let agreementId: string;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        HubConfigModule.forRoot({
          hub: hubConfig,
          env: { hubConfigPath: '(test)', databaseUrl, redisUrl: '', logLevel: 'error', queuePrefix: 'x' },
        }),
        DbModule.forRoot(databaseUrl),
        AuditModule,
      ],
      providers: [ConfigApplyService],
    }).compile();
    moduleRef.useLogger(false);
    dataSource = moduleRef.get(getDataSourceToken());
    transfers = moduleRef.get(TransferRepository);
    studies = moduleRef.get(StudyRepository);
    instances = moduleRef.get(InstanceRepository);
    await moduleRef.get(ConfigApplyService).apply(hubConfig);
    const trusts = await moduleRef.get(TrustRepository).getAll();
    const rvj = trusts.find((trust) => trust.code === 'RVJ')!;
    recipientTrustId = trusts.find((trust) => trust.code === 'RA7')!.id;
    const node = (await moduleRef.get(NodeRepository).getAll()).find((n) => n.aeTitle === 'RVJ_PACS')!;
    sender = { nodeId: node.id, trustId: rvj.id };
    const [agreement] = (await dataSource.query('SELECT id FROM agreements')) as Array<{ id: string }>;
    agreementId = agreement.id;
  });

  afterAll(async () => {
    const name = new URL(databaseUrl).pathname.slice(1);
    await dataSource?.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await moduleRef?.close();
  });

  /** A study still arriving, with `count` instances stored, and its transfer being delivered. */
  async function arrivingExchange(count: number) {
    const studyInstanceUid = `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`)}`;
    const study = await studies.upsertForArrival(
      {
        senderNodeId: sender.nodeId,
        senderTrustId: sender.trustId,
        recipientTrustId,
        folder: 'emergency',
        calledAeTitle: 'RA7_EMER',
        studyInstanceUid,
      },
      { patientId: 'FEED1' },
      new Date(),
    );
    let next = 0;
    const store = async (n: number, sopClassUid = CT) => {
      for (let i = 0; i < n; i += 1) {
        next += 1;
        await instances.recordStored({
          studyId: study.id,
          seriesInstanceUid: `${studyInstanceUid}.1`,
          sopInstanceUid: `${studyInstanceUid}.1.${next}`,
          sopClassUid,
          transferSyntaxUid: EXPLICIT_LE,
          sizeBytes: 10,
          storagePath: `x/${next}.dcm`,
          receivedAt: new Date(),
        });
      }
    };
    await store(count);
    const { transfer } = await transfers.createForStudy({
      studyId: study.id,
      agreementId,
      senderTrustId: sender.trustId,
      recipientTrustId,
      folder: 'emergency',
      state: 'delivering',
      expiresAt: new Date(Date.now() + 3600_000),
    });
    await transfers.addStudyInstances(transfer.id, study.id);
    const first = await transfers.getUndelivered(transfer.id, { notYetSent: true });
    return { study, transfer, first, store };
  }

  const toStored = (instance: PendingInstance) => ({
    id: instance.id,
    sopClassUid: instance.sopClassUid,
    sopInstanceUid: instance.sopInstanceUid,
    transferSyntaxUid: instance.transferSyntaxUid,
    path: instance.storagePath,
  });
  const allowed = () => Promise.resolve(undefined);
  const answer = (feed: ArrivingFeed, batch: Array<{ id: string }>) =>
    batch.forEach((instance) => feed.onOutcome({ id: instance.id, status: 0 }));

  async function states(transferId: string): Promise<Record<string, string>> {
    const rows = (await dataSource.query(
      'SELECT instance_id AS id, state FROM transfer_instances WHERE transfer_id = ? ORDER BY instance_id',
      [transferId],
    )) as Array<{ id: string; state: string }>;
    return Object.fromEntries(rows.map((row) => [String(row.id), row.state]));
  }

  it('hands over what is stored after it started, each instance once, and records every answer', async () => {
    const { transfer, first, store } = await arrivingExchange(2);
    const feed = new ArrivingFeed(transfers, transfer, first, toStored, allowed, TIMING);
    answer(feed, first);

    // Stored while the association sent the first batch: the next look finds them, and only them.
    await store(3);
    const second = await feed.next();
    expect(second).toHaveLength(3);
    expect(second.some((instance) => first.some((f) => f.id === instance.id))).toBe(false);
    // Answers are recorded every recordEveryMs, not one commit each.
    expect(Object.values(await states(transfer.id))).toEqual(['pending', 'pending']);

    // One stored while the feed waits is handed over as soon as it is seen; the answers so far were
    // recorded on the way, not held until the end (the second batch's joining the transfer with them).
    answer(feed, second);
    await new Promise((resolve) => setTimeout(resolve, TIMING.recordEveryMs));
    const looking = feed.next();
    await store(1);
    const third = await looking;
    expect(third).toHaveLength(1);
    expect(Object.values(await states(transfer.id))).toEqual(Array(5).fill('delivered'));
    answer(feed, third);
    await feed.finish();
    const recorded = await states(transfer.id);
    expect(Object.keys(recorded)).toHaveLength(6);
    expect(Object.values(recorded).every((state) => state === 'delivered')).toBe(true);
  });

  it('raises the report flag when a report joins the transfer with its answer', async () => {
    const { transfer, first, store } = await arrivingExchange(1);
    const feed = new ArrivingFeed(transfers, transfer, first, toStored, allowed, TIMING);
    answer(feed, first);
    await store(1, BASIC_TEXT_SR);
    const report = await feed.next();
    expect(report.map((instance) => instance.sopClassUid)).toEqual([BASIC_TEXT_SR]);
    expect((await transfers.getById(transfer.id))?.hasReport).toBe(false);
    answer(feed, report);
    await feed.finish();
    const after = await transfers.getById(transfer.id);
    expect(after?.hasReport).toBe(true);
    expect(after?.reportReceivedAt).toBeInstanceOf(Date);
  });

  it('ends after a pause in the arrivals, and at once when the transfer stops delivering', async () => {
    const paused = await arrivingExchange(1);
    const feed = new ArrivingFeed(transfers, paused.transfer, paused.first, toStored, allowed, TIMING);
    const started = Date.now();
    expect(await feed.next()).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMING.idleMs);
    await feed.finish();

    const suspended = await arrivingExchange(1);
    const other = new ArrivingFeed(transfers, suspended.transfer, suspended.first, toStored, allowed, TIMING);
    await transfers.transition(suspended.transfer.id, ['delivering'], 'suspended');
    await suspended.store(2);
    expect(await other.next()).toEqual([]);
    await other.finish();
  });

  it('sends what the router joined once the study is routed, then ends', async () => {
    const { study, transfer, first, store } = await arrivingExchange(1);
    const feed = new ArrivingFeed(transfers, transfer, first, toStored, allowed, TIMING);
    // As the router does on completion: the last instances join the transfer, then the study is routed.
    await store(2);
    await transfers.addStudyInstances(transfer.id, study.id);
    await studies.transition(study.id, ['receiving'], 'routed');
    const last = await feed.next();
    expect(last).toHaveLength(2);
    const started = Date.now();
    expect(await feed.next()).toEqual([]);
    expect(Date.now() - started).toBeLessThan(TIMING.idleMs);
    await feed.finish();
  });

  it('hands nothing over once the agreement no longer allows the exchange', async () => {
    const { transfer, first, store } = await arrivingExchange(1);
    const feed = new ArrivingFeed(
      transfers,
      transfer,
      first,
      toStored,
      () => Promise.resolve('sharing agreement suspended'),
      { ...TIMING, recordEveryMs: 0 },
    );
    await store(2);
    expect(await feed.next()).toEqual([]);
    await feed.finish();
  });

  it('hands the node back after maxOpenMs however much keeps arriving', async () => {
    const { transfer, first, store } = await arrivingExchange(1);
    const feed = new ArrivingFeed(transfers, transfer, first, toStored, allowed, { ...TIMING, maxOpenMs: 150 });
    await store(1);
    expect(await feed.next()).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await store(1);
    expect(await feed.next()).toEqual([]);
    await feed.finish();
  });
});
