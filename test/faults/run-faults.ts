// npm run test:faults — the hub's fault matrix (issue 13). The apps run as separate processes on a MariaDB, a
// Redis and a storage file system of the suite's own; DCMTK storescu plays the sending PACS and storescp the
// recipient PACS. Each case injects one fault mid-study, lets the hub recover by itself (waiting on state, with a
// deadline), then counts from MariaDB and from what storescp wrote. It prints one table and exits non-zero on any
// loss, on any hub process that exited by itself, or on any broken check.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killAllDcmtk, sleep } from '../support/dcmtk';
import { TcpProxy } from '../support/tcp-proxy';
import { CaseResult, FaultContext, runCases } from './cases';
import { buildHub, HubApp, HubEnv, REPO, writeHubConfig } from './hub';
import { findBinary, ProcessRegistry, ThrowawayMariaDb, ThrowawayRedis } from './processes';
import { HubStorage } from './storage';

const RUN_BUDGET_MS = 15 * 60_000;
const DATABASE = 'iehub_faults';

async function main(): Promise<number> {
  const started = Date.now();
  for (const tool of ['storescu', 'storescp', 'haproxy', 'mariadbd', 'redis-server']) {
    if (!findBinary(tool)) {
      console.error(`test:faults needs ${tool}: apt-get install -y dcmtk haproxy mariadb-server redis-server`);
      return 1;
    }
  }
  const root = mkdtempSync(join(tmpdir(), 'iehub-faults-'));
  const registry = new ProcessRegistry(join(root, 'logs'));
  const logsKept = join(REPO, 'test-output', 'faults', new Date().toISOString().replace(/[:.]/g, '-'));
  let storage: HubStorage | undefined;
  let recipientProxy: TcpProxy | undefined;
  let cleaned = false;
  const cleanupNow = (): void => {
    if (cleaned) {
      return;
    }
    cleaned = true;
    registry.killAllNow();
    killAllDcmtk();
    try {
      storage?.destroy();
    } catch (err) {
      console.error(`could not unmount ${storage?.dir}: ${(err as Error).message}`);
    }
    // The processes' logs outlive the run, so a failure can be read afterwards (test-output/ is not committed).
    try {
      cpSync(join(root, 'logs'), logsKept, { recursive: true });
    } catch {
      // no logs yet
    }
    rmSync(root, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: stopping every process the suite started`);
    cleanupNow();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const watchdog = setTimeout(() => {
    console.error(`\ntest:faults ran over its ${RUN_BUDGET_MS / 60_000} min budget: stopping everything`);
    cleanupNow();
    process.exit(1);
  }, RUN_BUDGET_MS);

  try {
    console.log(`==> building the hub into ${root}/dist`);
    const distDir = join(root, 'dist');
    buildHub(distDir);
    const buildMs = Date.now() - started;

    storage = HubStorage.create(root);
    console.log(
      storage.cannotFill
        ? `==> storage: plain folder ${storage.dir} (disk-full case will be skipped: ${storage.cannotFill})`
        : `==> storage: loop-mounted ext4 at ${storage.dir} (${Math.round(storage.freeBytes() / 2 ** 20)} MiB free)`,
    );
    console.log('==> starting a throwaway MariaDB and Redis on loopback');
    const db = await ThrowawayMariaDb.create(root, registry);
    const redis = await ThrowawayRedis.create(root, registry);
    console.log(`    MariaDB 127.0.0.1:${db.port}, Redis 127.0.0.1:${redis.port}`);

    // The recipient's node points at this relay; storescp listens behind it. The relay counts associations open at
    // once (maxAssociations across forwarders), and closing it makes the recipient refuse connections (down).
    const recipientPort = await freePort();
    recipientProxy = new TcpProxy('127.0.0.1', recipientPort);
    await recipientProxy.start();

    const configs = [join(root, 'hub-a.yaml'), join(root, 'hub-b.yaml')];
    const dicomPorts = [await freePort(), await freePort()];
    for (const [i, file] of configs.entries()) {
      writeHubConfig(file, {
        dicomPort: dicomPorts[i],
        httpPort: await freePort(),
        storageDir: storage.dir,
        recipientPort: recipientProxy.port,
      });
    }
    const env = (configFile: string): HubEnv => ({
      distDir,
      configFile,
      databaseUrl: db.url(DATABASE),
      redisUrl: redis.url,
      queuePrefix: 'faults',
    });
    const apps = {
      receiver: new HubApp('receiver', 'receiver', env(configs[0]), registry, dicomPorts[0]),
      router: new HubApp('router', 'router', env(configs[0]), registry),
      forwarder: new HubApp('forwarder', 'forwarder', env(configs[0]), registry),
      receiver2: new HubApp('receiver', 'receiver-2', env(configs[1]), registry, dicomPorts[1]),
      router2: new HubApp('router', 'router-2', env(configs[1]), registry),
      forwarder2: new HubApp('forwarder', 'forwarder-2', env(configs[1]), registry),
    };
    console.log('==> starting receiver, router and forwarder as separate processes');
    // The receiver first: it creates and migrates the database (under a MySQL lock), then the others start on it.
    await apps.receiver.start();
    await Promise.all([apps.router.start(), apps.forwarder.start()]);

    const ctx: FaultContext = {
      root,
      db,
      database: DATABASE,
      redis,
      storage,
      registry,
      apps,
      recipientProxy,
      recipientPort,
      receiverPort: dicomPorts[0],
      hubEnv: env(configs[0]),
    };
    const results = await runCases(ctx);
    const totalMs = Date.now() - started;
    return report(results, registry, { totalMs, buildMs }, logsKept);
  } finally {
    clearTimeout(watchdog);
    await registry.stopAll();
    await recipientProxy?.cut();
    killAllDcmtk();
    await sleep(100);
    cleanupNow();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

function report(
  results: CaseResult[],
  registry: ProcessRegistry,
  times: { totalMs: number; buildMs: number },
  logsKept: string,
): number {
  console.log(`\nprocess logs: ${logsKept}`);
  const header = [
    'case',
    'sent',
    'acknowledged',
    'stored',
    'delivered',
    'lost',
    'duplicated',
    'peak assoc',
    'recovered in',
    'case secs',
    'statuses the sender saw',
  ];
  const rows = results.map((r) => [
    r.name,
    String(r.sent),
    String(r.acknowledged),
    String(r.stored),
    String(r.delivered),
    String(r.lost),
    String(r.duplicated),
    String(r.peakAssociations),
    r.recoveryMs === undefined ? '-' : `${(r.recoveryMs / 1000).toFixed(1)} s`,
    (r.durationMs / 1000).toFixed(0),
    r.statuses || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log('\n## Fault matrix\n');
  console.log(line(header));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const row of rows) {
    console.log(line(row));
  }
  console.log(
    '\nStatuses: hex = C-STORE-RSP status (count); no-response = sent but never answered; not-sent = not sent, the ' +
      'association having failed first; assoc-<outcome> = an association that was not accepted, or was aborted.',
  );
  console.log('\n## The transfer as the hub recorded it\n');
  for (const r of results) {
    console.log(`- ${r.name}: ${r.transfer || '-'}`);
    for (const note of r.notes) {
      console.log(`    note: ${note}`);
    }
  }
  const failures = results.flatMap((r) => r.failures.map((f) => `${r.name}: ${f}`));
  const skipped = results.filter((r) => r.skipped);
  for (const exit of registry.unexpectedExits) {
    failures.push(
      `${exit.name} exited by itself at ${exit.at.toISOString()} (code ${exit.code}, signal ${exit.signal})`,
    );
  }
  console.log(
    `\nbuild ${(times.buildMs / 1000).toFixed(0)} s, whole run ${(times.totalMs / 1000).toFixed(0)} s ` +
      `(budget ${RUN_BUDGET_MS / 60_000} min)`,
  );
  for (const s of skipped) {
    console.log(`SKIPPED ${s.name}: ${s.skipped}`);
  }
  if (failures.length > 0) {
    console.log(`\nFAILED (${failures.length}):`);
    for (const f of failures) {
      console.log(`  - ${f}`);
    }
    return 1;
  }
  console.log('\nOK: no instance lost, no hub process exited by itself, every check held.');
  return 0;
}

process.chdir(REPO);
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
