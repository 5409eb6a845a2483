// DICOMweb and Find-it benchmark (issue 17's figures), both against one hub process (dist/apps/hub) on a database and
// Redis prefix of its own (iehub_bench_dicomweb, recreated for every run):
// 1. WADO-RS: the 300-instance CT study (ct300) stored with storescu into the hub and into Orthanc with its DICOMweb
//    plugin, then retrieved whole (GET …/studies/{uid}, multipart/related; type="application/dicom", every byte of
//    the body read) from each in turn, alternating, for --rounds rounds after one warm-up request each. The hub is
//    asked as an operator, through a bearer session; Orthanc without authentication.
// 2. Find it: a clinician's POST /api/find-it with five trusts sharing with the clinician's, each with a
//    query/retrieve node: four dcmqrscp that answer and one TCP listener that accepts and never says a word. The
//    answer should come at about findIt.timeoutSeconds (the C-FINDs run in parallel), not five times it.
//
//   npm run bench:dicomweb -- [--rounds 5] [--searches 5] [--timeout-seconds 3]
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { dcmtkEnv, freePort, runDcmtk, sleep, stopProcess } from '../test/support/dcmtk';
import { DcmqrscpHandle, startDcmqrscp } from '../test/support/dcmqrscp';
import { makeStudy } from '../test/support/dicom-factory';
import { ORTHANC_DICOMWEB_PLUGIN, OrthancHandle, startOrthanc } from '../test/support/orthanc';
import { readFlags, wholeNumber } from './support/args';
import { installCleanupHandlers, removeDir, trackDir } from './support/cleanup';
import { ensureDataset } from './support/datasets';
import { addBenchUsers, benchLogin } from './support/portal-session';
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
import { median } from './support/report';

const HOST = '127.0.0.1';
const DATABASE_URL = 'mysql://root@127.0.0.1:3306/iehub_bench_dicomweb';
const NHS_NUMBER = '9434765919';
const ACCEPT = 'multipart/related; type="application/dicom"';
/** The searcher's trust (hubConfig's receiving trust) and the five that share with it. */
const SEARCHER_TRUST = 'DST';
const SHARING_TRUSTS = ['FIA', 'FIB', 'FIC', 'FID', 'FIE'];

interface Options {
  rounds: number;
  searches: number;
  timeoutSeconds: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { rounds: 5, searches: 5, timeoutSeconds: 3 };
  readFlags(argv, 'usage: node dist/bench/dicomweb.bench.js [--rounds N] [--searches N] [--timeout-seconds S]', {
    '--rounds': (value) => (options.rounds = wholeNumber('--rounds', value)),
    '--searches': (value) => (options.searches = wholeNumber('--searches', value)),
    '--timeout-seconds': (value) => (options.timeoutSeconds = wholeNumber('--timeout-seconds', value)),
  });
  return options;
}

/** A TCP listener that accepts connections and never answers: a query/retrieve node that hangs. */
async function silentListener(): Promise<{ port: number; connections: () => number; stop(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
  });
  const port = await freePort();
  await new Promise<void>((done) => server.listen(port, HOST, done));
  return {
    port,
    connections: () => sockets.length,
    stop: () =>
      new Promise<void>((done) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => done());
      }),
  };
}

/** hubConfig (BEN sends to DST's emergency folder) plus five trusts sharing with DST, one query/retrieve node each. */
function benchConfig(
  dicomPort: number,
  httpPort: number,
  storageDir: string,
  qrPorts: number[],
  timeoutSeconds: number,
): unknown {
  const config = hubConfig(dicomPort, httpPort, storageDir) as {
    hub: { stableStudySeconds: number };
    trusts: unknown[];
    agreements: unknown[];
    findIt?: unknown;
  };
  config.hub.stableStudySeconds = 1;
  config.findIt = { timeoutSeconds };
  SHARING_TRUSTS.forEach((code, i) => {
    config.trusts.push({
      code,
      name: `Find-it trust ${code}`,
      patientIdIssuer: code,
      nodes: [
        {
          aeTitle: `${code}_QR`,
          host: HOST,
          port: qrPorts[i],
          allowedIps: [HOST],
          receive: 'none',
          queryRetrieve: true,
        },
      ],
    });
    config.agreements.push({ from: code, to: SEARCHER_TRUST, folders: ['emergency'] });
  });
  return config;
}

async function queryHub<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const url = new URL(DATABASE_URL);
  const mysql = await import('mysql2/promise');
  const connection = await mysql.createConnection({
    host: url.hostname,
    port: Number(url.port),
    user: 'root',
    database: url.pathname.slice(1),
  });
  try {
    const [rows] = await connection.query(sql, params);
    return rows as T[];
  } finally {
    await connection.end();
  }
}

async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    }
    await sleep(250);
  }
}

async function storescu(port: number, calledAe: string, files: string[]): Promise<void> {
  const result = await runDcmtk('storescu', ['-aet', CALLING_AE, '-aec', calledAe, HOST, String(port), ...files], {
    timeoutMs: 600_000,
  });
  if (result.code !== 0) {
    throw new Error(`storescu exited ${result.code}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
}

/** Retrieves a whole study, reading every byte of the body; returns the time and the body's size. */
async function retrieve(url: string, headers: Record<string, string>): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const response = await fetch(url, { headers: { ...headers, accept: ACCEPT } });
  if (!response.ok || !response.body) {
    throw new Error(`GET ${url}: HTTP ${response.status} ${await response.text()}`);
  }
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
  }
  return { ms: performance.now() - started, bytes };
}

interface Round {
  ms: number;
  bytes: number;
}

const range = (values: number[], digits: number): string =>
  `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  installCleanupHandlers();
  const root = repoRoot();
  const dataDir = join(tmpdir(), 'iehub-bench-data');
  mkdirSync(dataDir, { recursive: true });
  const data = await ensureDataset('ct300', dataDir);
  const studyUid = await studyUidOf(data.files[0]);
  const workDir = trackDir(mkdtempSync(join(tmpdir(), 'iehub-bench-dicomweb-')));
  const answering: DcmqrscpHandle[] = [];
  const silent = await silentListener();
  let orthanc: OrthancHandle | undefined;
  let hub: ReturnType<typeof spawnLogged> | undefined;
  const queuePrefix = 'iehub-bench-dicomweb';
  try {
    // Four answering archives, each holding one study of the patient.
    const patientStudy = await makeStudy(join(workDir, 'patient'), {
      patientId: NHS_NUMBER,
      patientName: 'FIND^BENCH',
      series: [{ kind: 'mr-small', count: 1 }],
    });
    for (const code of SHARING_TRUSTS.slice(0, 4)) {
      const archive = await startDcmqrscp({
        dir: join(workDir, `qr-${code}`),
        aeTitle: `${code}_QR`,
        moveDestinations: [],
      });
      answering.push(archive);
      await storescu(archive.port, archive.aeTitle, patientStudy.files);
    }

    const dicomPort = await freePort();
    let httpPort = await freePort();
    while (httpPort === dicomPort) {
      httpPort = await freePort();
    }
    const storageDir = join(workDir, 'storage');
    mkdirSync(storageDir);
    const configFile = join(workDir, 'hub.yaml');
    const qrPorts = [...answering.map((archive) => archive.port), silent.port];
    writeFileSync(configFile, stringify(benchConfig(dicomPort, httpPort, storageDir, qrPorts, options.timeoutSeconds)));
    await recreateDatabase(DATABASE_URL);
    hub = spawnLogged(process.execPath, [resolve(root, 'dist/apps/hub/src/main.js')], {
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
    await waitReady('hub', hub.child, dicomPort, hub.tail);
    const base = `http://${HOST}:${httpPort}`;
    await waitUntil('the hub answering HTTP', 120_000, async () =>
      (await fetch(`${base}/api/health`)).ok ? true : undefined,
    );

    orthanc = await startOrthanc({ dir: join(workDir, 'orthanc'), aeTitle: 'ORTHANC' });

    // The same study into both, one association each.
    await storescu(dicomPort, CALLED_AE, data.files);
    await storescu(orthanc.dicomPort, 'ORTHANC', data.files);
    await waitUntil('Orthanc holding the study', 120_000, async () => {
      const stats = await orthanc!.rest<{ CountInstances: number }>('GET', '/statistics');
      return stats.CountInstances >= data.files.length ? true : undefined;
    });

    const [dst] = await queryHub<{ id: string }>('SELECT id FROM trusts WHERE code = ?', [SEARCHER_TRUST]);
    await addBenchUsers(queryHub, [
      ['bench-operator', 'operator', null],
      ['bench-clinician', 'clinician', dst.id],
    ]);
    const operator = { authorization: `Bearer ${await benchLogin(base, 'bench-operator')}` };
    const clinician = { authorization: `Bearer ${await benchLogin(base, 'bench-clinician')}` };

    const hubUrl = `${base}/dicomweb/studies/${studyUid}`;
    const orthancUrl = `http://${HOST}:${orthanc.httpPort}/dicom-web/studies/${studyUid}`;
    // The hub files the study after its quiet period; until then the study is not there to retrieve.
    await waitUntil('the hub serving the whole study', 120_000, async () => {
      const { bytes } = await retrieve(hubUrl, operator);
      return bytes >= data.bytes ? true : undefined;
    });
    const orthancWarm = await retrieve(orthancUrl, {});
    if (orthancWarm.bytes < data.bytes * 0.95) {
      throw new Error(`Orthanc returned ${orthancWarm.bytes} bytes for a ${data.bytes}-byte study`);
    }

    const hubRounds: Round[] = [];
    const orthancRounds: Round[] = [];
    const mib = (round: Round) => round.bytes / 2 ** 20 / (round.ms / 1000);
    const perSecond = (round: Round) => data.files.length / (round.ms / 1000);
    const show = (round: Round) =>
      `${(round.ms / 1000).toFixed(2)} s, ${perSecond(round).toFixed(0)} instances/s, ${mib(round).toFixed(1)} MiB/s`;
    for (let round = 1; round <= options.rounds; round++) {
      // Alternate which goes first, so drift in the machine's load hits both alike.
      const order = round % 2 === 1 ? (['hub', 'orthanc'] as const) : (['orthanc', 'hub'] as const);
      for (const who of order) {
        const result = who === 'hub' ? await retrieve(hubUrl, operator) : await retrieve(orthancUrl, {});
        (who === 'hub' ? hubRounds : orthancRounds).push(result);
      }
      process.stderr.write(
        `round ${round}: hub ${show(hubRounds[round - 1])}; Orthanc ${show(orthancRounds[round - 1])}\n`,
      );
    }

    // Find it: one warm-up search, then the measured ones.
    const searchMs: number[] = [];
    let last: { trusts: Array<{ trust: string; outcome: string; elapsedMs: number }> } | undefined;
    for (let search = 0; search <= options.searches; search++) {
      const started = performance.now();
      const response = await fetch(`${base}/api/find-it`, {
        method: 'POST',
        headers: { ...clinician, 'content-type': 'application/json' },
        body: JSON.stringify({ nhsNumber: NHS_NUMBER }),
      });
      const body = (await response.json()) as typeof last;
      const ms = performance.now() - started;
      if (!response.ok) {
        throw new Error(`POST /api/find-it: HTTP ${response.status} ${JSON.stringify(body)}`);
      }
      if (search > 0) {
        searchMs.push(ms);
      }
      last = body;
    }
    const outcomes = last!.trusts
      .map((trust) => `${trust.trust} ${trust.outcome} ${(trust.elapsedMs / 1000).toFixed(2)} s`)
      .join(', ');

    const hubMib = hubRounds.map(mib);
    const orthancMib = orthancRounds.map(mib);
    const ratios = hubRounds.map((round, i) => orthancRounds[i].ms / round.ms);
    const hubRate = hubRounds.map(perSecond);
    const orthancRate = orthancRounds.map(perSecond);
    process.stdout.write(
      `\nDICOMweb and Find-it benchmark (${new Date().toISOString()})\n` +
        `WADO-RS, whole study: ct300 (${data.files.length} instances, ${(data.bytes / 2 ** 20).toFixed(0)} MiB), ` +
        `${options.rounds} rounds alternating, after one warm-up request each; Orthanc with ${ORTHANC_DICOMWEB_PLUGIN}\n` +
        `  hub      median ${median(hubRate).toFixed(0)} instances/s (${range(hubRate, 0)}), ` +
        `${median(hubMib).toFixed(1)} MiB/s (${range(hubMib, 1)})\n` +
        `  Orthanc  median ${median(orthancRate).toFixed(0)} instances/s (${range(orthancRate, 0)}), ` +
        `${median(orthancMib).toFixed(1)} MiB/s (${range(orthancMib, 1)})\n` +
        `  hub / Orthanc rate, per round: median ${median(ratios).toFixed(2)} (${range(ratios, 2)}); ` +
        `of the medians ${(median(hubRate) / median(orthancRate)).toFixed(2)} (goal ≥ 1)\n` +
        `Find it: 5 sharing trusts (4 dcmqrscp answering, 1 silent listener), findIt.timeoutSeconds ` +
        `${options.timeoutSeconds}\n` +
        `  search to answer, median of ${options.searches}: ${(median(searchMs) / 1000).toFixed(2)} s ` +
        `(${range(
          searchMs.map((ms) => ms / 1000),
          2,
        )} s); time limit ${options.timeoutSeconds} s\n` +
        `  last answer: ${outcomes}\n`,
    );
  } catch (err) {
    if (hub) {
      process.stderr.write(`--- hub output (tail) ---\n${hub.tail().slice(-3000)}\n`);
    }
    throw err;
  } finally {
    if (hub) {
      await stopProcess(hub.child, 15_000);
    }
    await orthanc?.stop();
    for (const archive of answering) {
      await archive.stop();
    }
    await silent.stop();
    removeDir(workDir);
  }
}

/** The Study Instance UID of a Part 10 file, through DCMTK's dcmdump. */
async function studyUidOf(file: string): Promise<string> {
  const result = await runDcmtk('dcmdump', ['+P', '0020,000d', '-s', file], { timeoutMs: 30_000 });
  const match = /\[([0-9.]+)\]/.exec(result.stdout);
  if (!match) {
    throw new Error(`no Study Instance UID in ${file}: ${result.stderr}`);
  }
  return match[1];
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
