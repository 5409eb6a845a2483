// Relay benchmark: a CT study sent storescu → hub (emergency folder, push recipient) → storescp, against storescu →
// storescp directly, in the same run. Time runs from spawning storescu to storescp starting to store the last instance
// (its "storing DICOM file" log line), the same way for both paths. The hub runs as one child process (receiver,
// router and forwarder: dist/apps/hub), on a database and Redis prefix of its own, recreated for every run.
// By default the emergency study goes on while it arrives (forwardWhileReceiving); --after-complete measures the
// store-then-forward path instead (delivery after the quiet period, stableStudySeconds).
// A hub runs for days, so before the measured study each run relays a warm-up study of the same shape (other UIDs)
// through the same hub process and waits for its transfer to settle; --cold measures the first study after start-up
// instead, which includes V8 compiling the hub's code on the way.
// Each run also prints its relay/direct ratio (the two paths run back to back) and the CPU the hub and MariaDB used
// over the measured study: on a shared 2-core machine, CPU per study moves far less than wall time does.
//
//   npm run bench:relay -- --runs 3 [--set ct300] [--stable-seconds 1] [--after-complete] [--cold]
import { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { stringify } from 'yaml';
import { dcmtkEnv, freePort, runDcmtk, sleep, startStorescp, StorescpHandle, stopProcess } from '../test/support/dcmtk';
import { choiceList, readFlags, wholeNumber } from './support/args';
import { installCleanupHandlers, removeDir, trackDir } from './support/cleanup';
import { ensureDataset, SET_NAMES, SetName } from './support/datasets';
import { cpuSince, pidsNamed } from './support/proc-stats';
import { median } from './support/report';
import { settleDisk } from './support/settle-disk';
import {
  CALLED_AE,
  CALLING_AE,
  DEFAULT_HUB_OPTIONS,
  hubConfig,
  recreateDatabase,
  repoRoot,
  spawnLogged,
  waitReady,
} from './support/receivers';

const RECIPIENT_AE = 'DST_PACS';
const DATABASE_URL = 'mysql://root@127.0.0.1:3306/iehub_bench_relay';

interface Options {
  runs: number;
  set: SetName;
  stableSeconds: number;
  /** Deliver only once the study is complete (the quiet period on the path), not while it arrives. */
  afterComplete: boolean;
  /** Measure the first study after the hub starts, without the warm-up study. */
  cold: boolean;
  dataDir: string;
  workDir: string;
}

const USAGE =
  'usage: node dist/bench/relay.bench.js [--runs N] [--set ct300] [--stable-seconds S] [--after-complete] ' +
  '[--cold] [--data-dir DIR] [--work-dir DIR]';

function parseArgs(argv: string[]): Options {
  const options: Options = {
    runs: 3,
    set: 'ct300',
    stableSeconds: 1,
    afterComplete: false,
    cold: false,
    dataDir: join(tmpdir(), 'iehub-bench-data'),
    workDir: tmpdir(),
  };
  readFlags(argv, USAGE, {
    '--runs': (value) => (options.runs = wholeNumber('--runs', value)),
    '--set': (value) => {
      const sets = choiceList('--set', value, SET_NAMES);
      if (sets.length !== 1) {
        throw new Error('--set: expected one set');
      }
      options.set = sets[0];
    },
    '--stable-seconds': (value) => {
      options.stableSeconds = Number(value);
      if (!(options.stableSeconds > 0)) {
        throw new Error('--stable-seconds: expected a number > 0');
      }
    },
    '--after-complete': { switch: () => (options.afterComplete = true) },
    '--cold': { switch: () => (options.cold = true) },
    '--data-dir': (value) => (options.dataDir = value),
    '--work-dir': (value) => (options.workDir = value),
  });
  return options;
}

/**
 * When storescp logs that it is storing its first and its countth instance from now on: taken as each line arrives,
 * with no polling to compete for the CPU being measured.
 */
function storedAll(scp: StorescpHandle, count: number, timeoutMs: number): Promise<{ first: number; last: number }> {
  return new Promise((resolve, reject) => {
    let first = 0;
    let seen = 0;
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`storescp stored ${seen} of ${count} instances within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = scp.onLogged('storing DICOM file', (stored) => {
      seen = stored;
      first ||= performance.now();
      if (stored >= count) {
        stop();
        clearTimeout(timer);
        resolve({ first, last: performance.now() });
      }
    });
  });
}

async function sendWithStorescu(port: number, files: string[]): Promise<void> {
  const result = await runDcmtk(
    'storescu',
    ['-aet', CALLING_AE, '-aec', CALLED_AE, '127.0.0.1', String(port), ...files],
    {
      timeoutMs: 600_000,
    },
  );
  if (result.code !== 0) {
    throw new Error(`storescu exited ${result.code}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
}

async function directOnce(files: string[], workDir: string): Promise<number> {
  const outputDir = join(workDir, 'direct');
  mkdirSync(outputDir);
  const scp = await startStorescp({ outputDir, aeTitle: RECIPIENT_AE, logLevel: 'verbose' });
  try {
    settleDisk();
    const started = performance.now();
    const stored = storedAll(scp, files.length, 600_000);
    await sendWithStorescu(scp.port, files);
    return (await stored).last - started;
  } finally {
    await scp.stop();
  }
}

interface RelayTimes {
  /** storescu start to the hub's last instance arriving (its received_at; storescu's own exit comes later). */
  ingestMs: number;
  /** storescu start to storescp storing the first instance. */
  firstMs: number;
  /** storescu start to storescp storing the last instance. */
  totalMs: number;
  /** CPU the hub process (all its threads) used over totalMs; undefined where /proc cannot tell. */
  hubCpuMs?: number;
  /** CPU the local MariaDB server used over totalMs. */
  databaseCpuMs?: number;
}

/** The benchmark hub: the sender of the ingest benchmark, and DST's node pushed to storescp. */
function relayConfig(
  dicomPort: number,
  httpPort: number,
  storageDir: string,
  recipientPort: number,
  options: Pick<Options, 'stableSeconds' | 'afterComplete'>,
) {
  const config = hubConfig(dicomPort, httpPort, storageDir) as {
    hub: { stableStudySeconds: number };
    folders?: { emergency: { forwardWhileReceiving: boolean } };
    trusts: Array<{ code: string; nodes: Array<Record<string, unknown>> }>;
  };
  config.hub.stableStudySeconds = options.stableSeconds;
  config.folders = { emergency: { forwardWhileReceiving: !options.afterComplete } };
  const recipient = config.trusts.find((trust) => trust.code === 'DST')!;
  recipient.nodes = [
    {
      aeTitle: RECIPIENT_AE,
      host: '127.0.0.1',
      port: recipientPort,
      allowedIps: ['127.0.0.1'],
      receive: 'push',
    },
  ];
  return config;
}

/** Runs one query on the hub's database and returns its rows. */
async function queryHub<T>(databaseUrl: string, sql: string): Promise<T[]> {
  const url = new URL(databaseUrl);
  const mysql = await import('mysql2/promise');
  const connection = await mysql.createConnection({
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username) || 'root',
    database: url.pathname.replace(/^\//, ''),
    timezone: 'Z', // as the hub writes it
  });
  try {
    const [rows] = await connection.query(sql);
    return rows as T[];
  } finally {
    await connection.end();
  }
}

/** When the hub's last instance arrived (ms since the epoch), from its database. */
async function lastArrival(databaseUrl: string): Promise<number> {
  const [row] = await queryHub<{ last: Date }>(databaseUrl, 'SELECT MAX(received_at) AS last FROM instances');
  return new Date(row.last).getTime();
}

/** Relays the warm-up study and waits until its transfer is settled, so none of its work overlaps the measurement. */
async function warmUp(scp: StorescpHandle, dicomPort: number, files: string[]): Promise<void> {
  const stored = storedAll(scp, files.length, 600_000);
  await sendWithStorescu(dicomPort, files);
  await stored;
  const deadline = performance.now() + 60_000;
  for (;;) {
    const rows = await queryHub<{ state: string }>(DATABASE_URL, 'SELECT state FROM transfers');
    if (rows.length === 1 && rows[0].state === 'delivered') {
      return;
    }
    if (performance.now() > deadline) {
      throw new Error(`the warm-up transfer did not settle: ${JSON.stringify(rows)}`);
    }
    await sleep(100);
  }
}

async function removeQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) {
        await redis.del(...keys);
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function relayOnce(
  files: string[],
  warmUpFiles: string[] | undefined,
  workDir: string,
  options: Pick<Options, 'stableSeconds' | 'afterComplete'>,
  run: number,
): Promise<RelayTimes> {
  const outputDir = join(workDir, 'recipient');
  const storageDir = join(workDir, 'storage');
  mkdirSync(outputDir);
  mkdirSync(storageDir);
  const scp = await startStorescp({ outputDir, aeTitle: RECIPIENT_AE, logLevel: 'verbose' });
  let hub: ChildProcess | undefined;
  const queuePrefix = `iehub-bench-relay-${process.pid}-${run}`;
  try {
    const dicomPort = await freePort();
    let httpPort = await freePort();
    while (httpPort === dicomPort) {
      httpPort = await freePort();
    }
    const configFile = join(workDir, 'hub.yaml');
    writeFileSync(configFile, stringify(relayConfig(dicomPort, httpPort, storageDir, scp.port, options)));
    await recreateDatabase(DATABASE_URL);
    const root = repoRoot();
    const spawned = spawnLogged(process.execPath, [resolve(root, 'dist/apps/hub/src/main.js')], {
      env: dcmtkEnv({
        HUB_CONFIG: configFile,
        DATABASE_URL,
        REDIS_URL: DEFAULT_HUB_OPTIONS.redisUrl,
        QUEUE_PREFIX: queuePrefix,
        LOG_LEVEL: 'warn',
      }),
      cwd: root,
      logFile: join(workDir, 'hub.log'),
    });
    hub = spawned.child;
    await waitReady('hub', hub, dicomPort, spawned.tail);
    if (warmUpFiles) {
      await warmUp(scp, dicomPort, warmUpFiles);
    }
    settleDisk();
    const hubCpu = cpuSince(hub.pid === undefined ? [] : [hub.pid]);
    const databaseCpu = cpuSince(pidsNamed('mariadbd', 'mysqld'));
    const started = performance.now();
    const startedAt = Date.now();
    const stored = storedAll(scp, files.length, 600_000);
    await sendWithStorescu(dicomPort, files);
    try {
      const { first, last } = await stored;
      const hubCpuMs = hubCpu();
      const databaseCpuMs = databaseCpu();
      const ingestMs = (await lastArrival(DATABASE_URL)) - startedAt;
      return {
        ingestMs,
        firstMs: first - started,
        totalMs: last - started,
        hubCpuMs,
        databaseCpuMs,
      };
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- hub output (tail) ---\n${spawned.tail().slice(-2000)}`);
    }
  } finally {
    if (hub) {
      await stopProcess(hub, 15_000);
    }
    await scp.stop();
    await removeQueueKeys(DEFAULT_HUB_OPTIONS.redisUrl, queuePrefix);
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  installCleanupHandlers();
  mkdirSync(options.dataDir, { recursive: true });
  const data = await ensureDataset(options.set, options.dataDir);
  // The same shape, generated apart so its UIDs differ: a study of its own for the hub to relay first.
  const warmUpData = options.cold ? undefined : await ensureDataset(options.set, join(options.dataDir, 'warm-up'));
  const direct: number[] = [];
  const relay: RelayTimes[] = [];
  for (let run = 1; run <= options.runs; run++) {
    // Both paths in each repetition, so drift in the machine's load hits them alike.
    const workDir = trackDir(mkdtempSync(join(options.workDir, 'iehub-bench-relay-')));
    try {
      const d = await directOnce(data.files, workDir);
      direct.push(d);
      process.stderr.write(`${options.set} direct run ${run}: ${(d / 1000).toFixed(2)} s\n`);
      const r = await relayOnce(data.files, warmUpData?.files, workDir, options, run);
      relay.push(r);
      process.stderr.write(
        `${options.set} relay run ${run}: ${(r.totalMs / 1000).toFixed(2)} s (hub had it all after ` +
          `${(r.ingestMs / 1000).toFixed(2)} s, first delivered at ${(r.firstMs / 1000).toFixed(2)} s), ` +
          `${(r.totalMs / d).toFixed(2)}× this run's direct; CPU: hub ${cpuSeconds(r.hubCpuMs)}, ` +
          `MariaDB ${cpuSeconds(r.databaseCpuMs)}\n`,
      );
    } finally {
      removeDir(workDir);
    }
  }
  const directMs = median(direct);
  const totalMs = median(relay.map((r) => r.totalMs));
  const ingestMs = median(relay.map((r) => r.ingestMs));
  const firstMs = median(relay.map((r) => r.firstMs));
  const quietMs = options.stableSeconds * 1000;
  // Direct and relay run back to back in each repetition, so their ratio is the figure least moved by the
  // machine's load drifting between repetitions.
  const perRun = relay.map((r, i) => r.totalMs / direct[i]);
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padStart(9);
  const ratio = (ms: number) => (ms / directMs).toFixed(2).padStart(9);
  process.stdout.write(
    `\nRelay benchmark: ${options.set} (${data.files.length} instances, ${(data.bytes / 2 ** 20).toFixed(0)} MiB), ` +
      `median of ${options.runs} run(s), one association each way, TCP_NODELAY=1 on every DCMTK tool\n` +
      (options.cold
        ? 'hub: the first study after it started (--cold)\n'
        : 'hub: after relaying a warm-up study of the same shape, in the same process\n') +
      `hub: emergency folder, push recipient, stableStudySeconds ${options.stableSeconds} (the quiet period), ` +
      (options.afterComplete
        ? 'delivered once complete (--after-complete)\n\n'
        : 'forwarded while it arrives (the quiet period is not on the path)\n\n') +
      `direct  storescu → storescp                     ${seconds(directMs)}\n` +
      `relay   storescu → hub → storescp              ${seconds(totalMs)}\n` +
      `          hub had every instance at            ${seconds(ingestMs)}\n` +
      `          storescp got the first one at        ${seconds(firstMs)}\n` +
      `relay / direct                                 ${ratio(totalMs)}\n` +
      `relay / direct per repetition: median ${median(perRun).toFixed(2)}, ` +
      `${Math.min(...perRun).toFixed(2)}–${Math.max(...perRun).toFixed(2)}\n` +
      (options.afterComplete ? `relay / direct, quiet period not counted       ${ratio(totalMs - quietMs)}\n` : '') +
      `hub had every instance / direct               ${ratio(ingestMs)}\n` +
      `CPU per relayed study (all threads)   hub ${cpuSeconds(medianKnown(relay.map((r) => r.hubCpuMs)))}, ` +
      `MariaDB ${cpuSeconds(medianKnown(relay.map((r) => r.databaseCpuMs)))}\n`,
  );
}

function cpuSeconds(ms: number | undefined): string {
  return ms === undefined ? 'unknown' : `${(ms / 1000).toFixed(2)} s`;
}

/** The median of the figures that were measured; undefined if none was. */
function medianKnown(values: Array<number | undefined>): number | undefined {
  const known = values.filter((value): value is number => value !== undefined);
  return known.length > 0 ? median(known) : undefined;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
