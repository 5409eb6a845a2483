import { INestApplicationContext, Module } from '@nestjs/common';
import { AccountsService, Role } from '@hub/accounts';
import { NestFactory } from '@nestjs/core';
import { LoadedConfig, parseHubConfig } from '@hub/config';
import { CoreModule } from '@hub/core';
import { QueueName, deliveryQueueName, redisOptions } from '@hub/queue';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Job, JobType, Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { ReceiverModule } from '../../apps/receiver/src/receiver.module';
import { ForwarderModule } from '../../apps/forwarder/src/forwarder.module';
import { configurePortalHttp } from '../../apps/portal/src/web-app';
import { PortalModule } from '../../apps/portal/src/portal.module';
import { RouterModule } from '../../apps/router/src/router.module';
import request from 'supertest';
import type { App } from 'supertest/types';
import { freePort } from './dcmtk';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The hub configuration every end-to-end test starts from: RVJ sends to RA7. */
export function testHubConfig(port: number, storageDir: string, stableStudySeconds: number): unknown {
  return {
    hub: {
      aeTitle: 'IEP_HUB',
      bindAddress: '127.0.0.1',
      dicomPort: port,
      httpPort: port + 1 > 65535 ? port - 1 : port + 1,
      storageDir,
      stableStudySeconds,
    },
    trusts: [
      {
        code: 'RVJ',
        name: 'North Bristol NHS Trust',
        patientIdIssuer: 'RVJ',
        inbound: { emergency: 'RVJ_EMER', elective: 'RVJ_ELEC' },
        nodes: [
          {
            aeTitle: 'RVJ_PACS',
            host: '127.0.0.1',
            port: 4104,
            allowedIps: ['127.0.0.1'],
            send: true,
            receive: 'push',
          },
          { aeTitle: 'RVJ_FAR', host: '10.9.8.7', port: 104, allowedIps: ['10.9.8.7'], send: true, receive: 'none' },
          {
            aeTitle: 'RVJ_VIEW',
            host: '127.0.0.1',
            port: 4106,
            allowedIps: ['127.0.0.1'],
            send: false,
            receive: 'pull',
          },
        ],
      },
      {
        code: 'RA7',
        name: 'University Hospitals Bristol and Weston',
        patientIdIssuer: 'RA7',
        inbound: { emergency: 'RA7_EMER', elective: 'RA7_ELEC' },
        nodes: [
          {
            aeTitle: 'RA7_PACS',
            host: '127.0.0.1',
            port: 4105,
            allowedIps: ['127.0.0.1'],
            send: true,
            receive: 'push',
          },
        ],
      },
    ],
    agreements: [{ from: 'RVJ', to: 'RA7', folders: ['emergency', 'elective'] }],
  };
}

/** Points RA7's push node (RA7_PACS) at a port: where a test's storescp plays the recipient PACS. */
export const ra7PushNodeAt = (port: number) => (raw: TestHubRawConfig) => {
  raw.trusts.find((trust) => trust.code === 'RA7')!.nodes[0].port = port;
};

/** Adds a third trust, RBA (Somerset), with an emergency inbound AE and one push node RBA_PACS at the port. */
export function addTrustRba(raw: TestHubRawConfig, pushPort = 4107): void {
  raw.trusts.push({
    code: 'RBA',
    name: 'Somerset',
    patientIdIssuer: 'RBA',
    inbound: { emergency: 'RBA_EMER' },
    nodes: [{ aeTitle: 'RBA_PACS', host: '127.0.0.1', port: pushPort, allowedIps: ['127.0.0.1'], receive: 'push' }],
  });
}

export interface TestHubOptions {
  /** portal: an HTTP app (not listening; use supertest on `http`). */
  apps: Array<'receiver' | 'router' | 'forwarder' | 'portal'>;
  databaseUrl?: string;
  storageDir?: string;
  stableStudySeconds?: number;
  queuePrefix?: string;
  /** Edits the raw configuration (trusts, agreements, folder retention…) before it is validated. */
  configure?: (raw: TestHubRawConfig) => void;
  /** Redis to use instead of TEST_REDIS_URL (e.g. a throwaway server a test may FLUSHALL). */
  redisUrl?: string;
}

export interface TestHubRawConfig {
  hub: Record<string, unknown>;
  folders?: Record<string, { retentionHours: number }>;
  dicom?: Record<string, number>;
  trusts: Array<Record<string, unknown> & { code: string; nodes: Array<Record<string, unknown>> }>;
  agreements: Array<Record<string, unknown>>;
}

export interface TestHub {
  app: INestApplicationContext;
  /** The portal's HTTP server, when apps includes portal. */
  http?: App;
  /** The configuration as the hub got it (before validation), e.g. to write a file for the CLI. */
  rawConfig: TestHubRawConfig;
  port: number;
  storageDir: string;
  queuePrefix: string;
  databaseUrl: string;
  dataSource: DataSource;
  studyQueue(): Queue;
  /** Delivery jobs in the given states across every push node's queue. */
  deliveryJobs(states: JobType[]): Promise<Job[]>;
  stop(): Promise<void>;
  /**
   * Creates a portal account (as the CLI would), logs it in through the API and acknowledges the access
   * notice; returns its Authorization header. Needs the portal app.
   */
  userSession(username: string, role: Role, trust?: string): Promise<{ Authorization: string }>;
  /** Removes the run's queue keys and storage (call once, at the end of a spec). */
  destroy(): Promise<void>;
}

/**
 * This spec file's own database (Jest gives every spec file its own module registry, so this is
 * evaluated once per file): specs never see each other's studies, transfers or agreements. The hub
 * creates and migrates it on first start; global teardown drops every database of the run.
 */
const SPEC_DATABASE_URL = process.env.IEHUB_TEST_DATABASE_URL
  ? `${process.env.IEHUB_TEST_DATABASE_URL}_${randomBytes(3).toString('hex')}`
  : undefined;

export function specDatabaseUrl(): string {
  if (!SPEC_DATABASE_URL) {
    throw new Error('IEHUB_TEST_DATABASE_URL is not set: run through jest (test/support/global-setup.ts)');
  }
  return SPEC_DATABASE_URL;
}

/** Starts the hub's apps in this process on this spec file's database. */
export async function startTestHub(options: TestHubOptions): Promise<TestHub> {
  const port = await freePort();
  const storageDir = options.storageDir ?? mkdtempSync(path.join(tmpdir(), 'iehub-store-'));
  const queuePrefix = options.queuePrefix ?? `t${randomBytes(4).toString('hex')}`;
  const databaseUrl = options.databaseUrl ?? specDatabaseUrl();
  const raw = testHubConfig(port, storageDir, options.stableStudySeconds ?? 2) as TestHubRawConfig;
  options.configure?.(raw);
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  const config: LoadedConfig = {
    hub: parseHubConfig(raw),
    env: {
      hubConfigPath: '(test)',
      databaseUrl,
      redisUrl,
      logLevel: 'error',
      queuePrefix,
    },
  };
  const apps = options.apps.map((name) =>
    name === 'receiver'
      ? ReceiverModule.forRoot(config, { core: false })
      : name === 'router'
        ? RouterModule.forRoot(config, { core: false })
        : name === 'forwarder'
          ? ForwarderModule.forRoot(config, { core: false })
          : PortalModule.forRoot(config, { core: false }),
  );

  @Module({ imports: [CoreModule.forRoot(config), ...apps] })
  class TestHubModule {}

  let app: INestApplicationContext;
  let http: App | undefined;
  if (options.apps.includes('portal')) {
    const httpApp = await NestFactory.create(TestHubModule, { logger: ['error'] });
    configurePortalHttp(httpApp);
    await httpApp.init();
    http = httpApp.getHttpServer() as App;
    app = httpApp;
  } else {
    app = await NestFactory.createApplicationContext(TestHubModule, { logger: ['error'] });
  }
  const queues: Queue[] = [];
  const deliveryQueues = async () =>
    ((await app.get<DataSource>(getDataSourceToken()).query('SELECT id FROM nodes')) as Array<{ id: string }>).map(
      (node) => openQueue(deliveryQueueName(node.id)),
    );
  const openQueue = (name: string) => {
    const queue = new Queue(name, { connection: redisOptions(redisUrl, 'worker'), prefix: queuePrefix });
    queues.push(queue);
    return queue;
  };
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      await Promise.all(queues.splice(0).map((queue) => queue.close()));
      await app.close();
    }
  };
  return {
    app,
    http,
    rawConfig: raw,
    port,
    storageDir,
    queuePrefix,
    databaseUrl,
    dataSource: app.get<DataSource>(getDataSourceToken()),
    studyQueue: () => openQueue(QueueName.Study),
    deliveryJobs: async (states: JobType[]) => {
      const jobs: Job[] = [];
      for (const queue of await deliveryQueues()) {
        jobs.push(...(await queue.getJobs(states)));
      }
      return jobs;
    },
    stop,
    async userSession(username: string, role: Role, trust?: string) {
      const password = `${username}-password-${randomBytes(6).toString('hex')}`;
      await app.get(AccountsService).create({ username, password, role, trust }, 'test');
      const response = await request(http!).post('/api/auth/login').send({ username, password }).expect(200);
      const session = { Authorization: `Bearer ${(response.body as { token: string }).token}` };
      // As the web app does after showing it: without this the session reaches no patient data (403).
      await request(http!).post('/api/auth/notice-acknowledgement').set(session).expect(204);
      return session;
    },
    async destroy() {
      await stop();
      await Promise.all(queues.splice(0).map((queue) => queue.close()));
      const nodeIds = (
        (await app
          .get<DataSource>(getDataSourceToken())
          .query('SELECT id FROM nodes')
          .catch(() => [])) as Array<{
          id: string;
        }>
      ).map((node) => deliveryQueueName(node.id));
      for (const name of [...Object.values(QueueName), ...nodeIds]) {
        const cleaner = new Queue(name, { connection: redisOptions(redisUrl, 'worker'), prefix: queuePrefix });
        await cleaner.obliterate({ force: true }).catch(() => undefined);
        await cleaner.close();
      }
      if (!options.storageDir) {
        rmSync(storageDir, { recursive: true, force: true });
      }
    },
  };
}
