// Ingest benchmark: how fast the hub's receiver takes C-STORE traffic compared with DCMTK storescp (the protocol
// ceiling on this machine) and Orthanc (a real PACS that fsyncs), and how much memory each needs.
//
//   npm run bench:ingest -- --runs 3 --sets ct300,small2000,big --receivers hub,storescp,orthanc
//   npm run bench:ingest -- --tls --sets ct300          # hub over DICOM TLS vs plain hub vs storescp +tls
//   npm run bench:ingest -- --log-cost --sets small2000  # hub at LOG_LEVEL=log vs error, alternating
//
// --tls makes a throwaway CA and certificates with openssl, has the hub listen for TLS (hub.tls) with the sender
// declared `tls: true` and its certificate subject, sends with `storescu +tls key cert +cf ca`, and compares with the
// plain hub, plain storescp and `storescp +tls ... -rc` in the same rounds. --log-cost runs the hub twice per round, at the default
// LOG_LEVEL=log and at the lowest, error, to show what logging and its metrics cost; --log-level sets the level of an
// ordinary run (default warn). Both print the ratios with the range of the per-round ratios.
//
// Wall time runs from spawning the first storescu to the exit of the last one; every configuration is run --runs
// times with a fresh receiver and fresh storage, and the median is reported. Peak RSS is the larger of the
// receiver's own VmHWM and the largest sampled (50 ms) sum of VmRSS over its process tree — for storescp --fork that
// is the parent plus the association handlers alive at that moment.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDcmtk } from '../test/support/dcmtk';
import { choiceList, readFlags, wholeNumber } from './support/args';
import { installCleanupHandlers, removeDir, trackDir } from './support/cleanup';
import { Dataset, DEFAULT_SET_NAMES, ensureDataset, SET_NAMES, SetName } from './support/datasets';
import { RssSampler } from './support/proc-stats';
import {
  CALLED_AE,
  CALLING_AE,
  DEFAULT_HUB_OPTIONS,
  hubDriver,
  makeBenchPki,
  orthancDriver,
  RECEIVER_NAMES,
  ReceiverDriver,
  ReceiverName,
  storescpDriver,
  storescpDriverWith,
} from './support/receivers';
import { ConfigResult, formatRatios, formatTable, RunResult, summarize } from './support/report';
import { settleDisk } from './support/settle-disk';

interface Options {
  runs: number;
  sets: SetName[];
  receivers: ReceiverName[];
  parallelism: number[];
  dataDir: string;
  workDir: string;
  json?: string;
  hubMain: string;
  databaseUrl: string;
  redisUrl: string;
  tls: boolean;
  logCost: boolean;
  logLevel: string;
}

/** The hub's LOG_LEVEL values, as libs/config LOG_LEVELS (error is the lowest). */
const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;

const USAGE = `usage: node dist/bench/ingest.bench.js [options]
  --runs N               repetitions per configuration, median reported (default 3)
  --sets LIST            ct300,small2000,big,study1g (default ct300,small2000,big)
  --receivers LIST       hub,storescp,orthanc (default all; unavailable ones are skipped with a note)
  --parallel LIST        associations per run for ct300/small2000 (default 1,4; big always uses 1)
  --data-dir DIR         where generated input sets are cached (default $TMPDIR/iehub-bench-data)
  --work-dir DIR         where receivers store during a run, removed afterwards (default $TMPDIR)
  --json FILE            also write every run's figures as JSON
  --hub-main FILE        built receiver entry point (default ${DEFAULT_HUB_OPTIONS.main})
  --database-url URL     dropped and recreated before each hub run (default ${DEFAULT_HUB_OPTIONS.databaseUrl})
  --redis-url URL        (default ${DEFAULT_HUB_OPTIONS.redisUrl})
  --tls                  hub and storescp each over DICOM TLS and plain, in the same rounds (replaces --receivers)
  --log-cost             the hub at LOG_LEVEL=log and at error, alternating (replaces --receivers)
  --log-level LEVEL      the hub's LOG_LEVEL otherwise: ${LOG_LEVELS.join(', ')} (default warn)`;

function parseArgs(argv: string[]): Options {
  const options: Options = {
    runs: 3,
    sets: [...DEFAULT_SET_NAMES],
    receivers: [...RECEIVER_NAMES],
    parallelism: [1, 4],
    dataDir: join(tmpdir(), 'iehub-bench-data'),
    workDir: tmpdir(),
    hubMain: DEFAULT_HUB_OPTIONS.main,
    databaseUrl: DEFAULT_HUB_OPTIONS.databaseUrl,
    redisUrl: DEFAULT_HUB_OPTIONS.redisUrl,
    tls: false,
    logCost: false,
    logLevel: 'warn',
  };
  readFlags(argv, USAGE, {
    '--runs': (value) => (options.runs = wholeNumber('--runs', value)),
    '--sets': (value) => (options.sets = choiceList('--sets', value, SET_NAMES)),
    '--receivers': (value) => (options.receivers = choiceList('--receivers', value, RECEIVER_NAMES)),
    '--parallel': (value) => (options.parallelism = value.split(',').map((p) => wholeNumber('--parallel', p))),
    '--data-dir': (value) => (options.dataDir = value),
    '--work-dir': (value) => (options.workDir = value),
    '--json': (value) => (options.json = value),
    '--hub-main': (value) => (options.hubMain = value),
    '--database-url': (value) => (options.databaseUrl = value),
    '--redis-url': (value) => (options.redisUrl = value),
    '--tls': { switch: () => (options.tls = true) },
    '--log-cost': { switch: () => (options.logCost = true) },
    '--log-level': (value) => (options.logLevel = choiceList('--log-level', value, LOG_LEVELS)[0] ?? 'warn'),
  });
  if (options.tls && options.logCost) {
    throw new Error('--tls and --log-cost are separate runs: choose one');
  }
  return options;
}

/** Splits files into n contiguous, near-equal parts. */
function split<T>(items: readonly T[], n: number): T[][] {
  const parts: T[][] = [];
  const size = Math.ceil(items.length / n);
  for (let i = 0; i < items.length; i += size) {
    parts.push(items.slice(i, i + size));
  }
  return parts;
}

async function runOnce(
  driver: ReceiverDriver,
  dataset: Dataset,
  parallelism: number,
  workBase: string,
): Promise<RunResult> {
  const workDir = trackDir(mkdtempSync(join(workBase, `iehub-bench-${driver.name}-${dataset.name}-`)));
  try {
    const receiver = await driver.start(workDir, parallelism > 1);
    try {
      settleDisk();
      const sampler = new RssSampler(receiver.pid).start();
      const started = performance.now();
      const results = await Promise.all(
        split(dataset.files, parallelism).map((files) =>
          runDcmtk(
            'storescu',
            [
              '-aet',
              CALLING_AE,
              '-aec',
              CALLED_AE,
              ...receiver.senderArgs,
              '127.0.0.1',
              String(receiver.port),
              ...files,
            ],
            { timeoutMs: 900_000 },
          ),
        ),
      );
      const wallMs = performance.now() - started;
      const peak = sampler.stop();
      const stored = await receiver.countStored();
      const failed = results.find((r) => r.code !== 0);
      let problem: string | undefined;
      if (failed) {
        problem = `storescu exited ${failed.code ?? failed.signal}: ${failed.stderr.trim().split('\n').slice(-3).join(' | ')}`;
      } else if (stored !== dataset.files.length) {
        problem = `receiver holds ${stored} of ${dataset.files.length} instances`;
      }
      if (problem) {
        process.stderr.write(
          `  ${problem}\n  --- ${driver.name} output (tail) ---\n${receiver.logTail().slice(-2000)}\n`,
        );
      }
      return { wallMs, peakRssMiB: peak.peakMiB, stored, problem };
    } finally {
      await receiver.stop();
    }
  } finally {
    removeDir(workDir);
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  installCleanupHandlers();
  mkdirSync(options.dataDir, { recursive: true });

  const hubOptions = { main: options.hubMain, databaseUrl: options.databaseUrl, redisUrl: options.redisUrl };
  let candidates: ReceiverDriver[];
  let pairs: Array<[string, string]> = [];
  if (options.tls) {
    const pki = makeBenchPki(trackDir(mkdtempSync(join(options.workDir, 'iehub-bench-pki-'))));
    candidates = [
      hubDriver({ ...hubOptions, logLevel: options.logLevel }),
      hubDriver({ ...hubOptions, logLevel: options.logLevel, tls: pki }),
      storescpDriver,
      storescpDriverWith(pki),
    ];
    pairs = [
      ['hub+tls', 'hub'],
      ['hub+tls', 'storescp+tls'],
      ['hub', 'storescp'],
      ['storescp+tls', 'storescp'],
    ];
  } else if (options.logCost) {
    candidates = [
      hubDriver({ ...hubOptions, logLevel: 'log', name: 'hub log=log' }),
      hubDriver({ ...hubOptions, logLevel: 'error', name: 'hub log=error' }),
    ];
    pairs = [['hub log=log', 'hub log=error']];
  } else {
    const allDrivers: Record<ReceiverName, ReceiverDriver> = {
      hub: hubDriver({ ...hubOptions, logLevel: options.logLevel }),
      storescp: storescpDriver,
      orthanc: orthancDriver,
    };
    candidates = options.receivers.map((name) => allDrivers[name]);
  }
  const drivers: ReceiverDriver[] = [];
  for (const driver of candidates) {
    const why = driver.unavailable();
    if (why) {
      process.stderr.write(`skipping ${driver.name}: ${why}\n`);
    } else {
      drivers.push(driver);
    }
  }
  if (drivers.length === 0) {
    throw new Error('no receiver to measure');
  }

  const results: ConfigResult[] = [];
  for (const set of options.sets) {
    const dataset = await ensureDataset(set, options.dataDir);
    const parallelisms = set === 'big' || set === 'study1g' ? [1] : options.parallelism;
    for (const parallelism of parallelisms) {
      const byDriver = drivers.map((driver): ConfigResult => ({
        set,
        parallelism,
        receiver: driver.name,
        instances: dataset.files.length,
        bytes: dataset.bytes,
        runs: [],
      }));
      // Receivers take turns within each repetition, so drift in the machine's load hits them alike.
      for (let run = 1; run <= options.runs; run++) {
        for (const [i, driver] of drivers.entries()) {
          const result = byDriver[i];
          if (result.error) {
            continue;
          }
          const label = `${set} ×${parallelism} ${driver.name} run ${run}`;
          try {
            const r = await runOnce(driver, dataset, parallelism, options.workDir);
            result.runs.push(r);
            process.stderr.write(
              `${label}: ${(r.wallMs / 1000).toFixed(2)} s, ` +
                `${(dataset.files.length / (r.wallMs / 1000)).toFixed(0)} inst/s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB` +
                `${r.problem ? ` (${r.problem})` : ''}\n`,
            );
          } catch (err) {
            result.error = (err as Error).message;
            process.stderr.write(`${label}: ${result.error}\n`);
          }
        }
      }
      results.push(...byDriver.map(summarize));
    }
  }

  process.stdout.write(
    `\nIngest benchmark: median of ${options.runs} run(s); storescu with TCP_NODELAY=1, ` +
      `calling ${CALLING_AE} → called ${CALLED_AE}\n\n${formatTable(results)}\n` +
      (pairs.length ? `\nratios of median instances/s:\n${formatRatios(results, pairs)}\n` : ''),
  );
  if (options.json) {
    writeFileSync(options.json, JSON.stringify({ options, results }, null, 2));
  }
  if (results.some((r) => r.error)) {
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
