// The C-STORE receivers the ingest benchmark compares. Each run starts a fresh receiver with fresh storage in its own
// work directory, waits until it answers C-ECHO, and removes everything when stopped. The hub and storescp can also
// listen for DICOM TLS (mutual authentication, certificates from a throwaway CA made with openssl).
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import {
  dcmtkEnv,
  echoscu,
  EchoscuResult,
  freePort,
  sleep,
  startStorescp,
  stopProcess,
  waitForPort,
} from '../../test/support/dcmtk';
import { makeTestCa } from '../../test/support/test-pki';
import { trackProcess } from './cleanup';

export type ReceiverName = 'hub' | 'storescp' | 'orthanc';
export const RECEIVER_NAMES: readonly ReceiverName[] = ['hub', 'storescp', 'orthanc'];

/** The AE titles every sender uses: the hub needs them (a known node calling a recipient's folder AE). */
export const CALLING_AE = 'BENCH_SCU';
export const CALLED_AE = 'DST_EMER';

export interface RunningReceiver {
  name: string;
  port: number;
  /** What storescu needs before the peer to reach it: the TLS options, or nothing. */
  senderArgs: string[];
  /** The process whose memory is measured (with its descendants). */
  pid: number;
  /** How many instances the receiver holds now. */
  countStored(): Promise<number>;
  /** Stops the receiver (graceful, then SIGKILL). The caller removes the work directory. */
  stop(): Promise<void>;
  /** The last part of the receiver's own output, for error messages. */
  logTail(): string;
}

export interface ReceiverDriver {
  /** The receiver's label in the report, e.g. "hub", "hub+tls", "storescp+tls", "hub log=error". */
  name: string;
  /** Why it cannot run here, or undefined when it can. */
  unavailable(): string | undefined;
  /** Starts in workDir (existing, empty); `parallel` says several associations will arrive at once. */
  start(workDir: string, parallel: boolean): Promise<RunningReceiver>;
}

const READY_TIMEOUT_MS = 60_000;

/** A throwaway PKI: the CA, and a key and certificate for the hub, for storescp and for the sending storescu. */
export interface BenchPki {
  ca: string;
  hub: { key: string; cert: string };
  storescp: { key: string; cert: string };
  sender: { key: string; cert: string };
}

/** Makes a CA and three certificates it signs (RSA 2048, IP:127.0.0.1) in dir, with openssl. */
export function makeBenchPki(dir: string): BenchPki {
  const signed = makeTestCa(dir, '/CN=Bench CA');
  return {
    ca: join(dir, 'ca.crt'),
    hub: signed('hub', '/CN=IEP_HUB'),
    storescp: signed('storescp', '/CN=STORESCP'),
    sender: signed('sender', `/CN=${CALLING_AE}`),
  };
}

/** The DCMTK options (storescu, echoscu) for a client presenting the sender's certificate and trusting the CA. */
export function senderTlsArgs(pki: BenchPki): string[] {
  return ['+tls', pki.sender.key, pki.sender.cert, '+cf', pki.ca];
}

/** Repeats C-ECHO (with extraArgs, e.g. the TLS options) until it succeeds or timeoutMs passes. */
async function waitForEchoWith(port: number, extraArgs: string[], timeoutMs: number): Promise<EchoscuResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await echoscu('127.0.0.1', port, CALLING_AE, CALLED_AE, ['-to', '5', '-ta', '5', ...extraArgs], {
      timeoutMs: 10_000,
    });
    if (result.ok || Date.now() >= deadline) {
      return result;
    }
    await sleep(100);
  }
}

function countFiles(dir: string): number {
  if (!existsSync(dir)) {
    return 0;
  }
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      n += countFiles(join(dir, entry.name));
    } else if (entry.isFile() && !entry.name.startsWith('.') && !/\.(tmp|part)$|\.tmp-/.test(entry.name)) {
      n += 1;
    }
  }
  return n;
}

/** Spawns a long-running receiver with its output going to a log file, keeping the last 16 KiB in memory. */
export function spawnLogged(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; logFile: string },
): { child: ChildProcess; tail: () => string } {
  const child = trackProcess(
    spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const log = createWriteStream(options.logFile);
  let tail = '';
  const onData = (d: Buffer): void => {
    log.write(d);
    tail = (tail + d.toString('utf8')).slice(-16384);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.once('exit', () => log.end());
  return { child, tail: () => tail };
}

const alive = (child: ChildProcess) => (): boolean => child.exitCode === null && child.signalCode === null;

export async function waitReady(
  name: string,
  child: ChildProcess,
  port: number,
  tail: () => string,
  echoArgs: string[] = [],
): Promise<void> {
  try {
    await waitForPort(port, READY_TIMEOUT_MS, { pid: child.pid, isAlive: alive(child) });
    const echo = await waitForEchoWith(port, echoArgs, READY_TIMEOUT_MS);
    if (!echo.ok) {
      throw new Error(`C-ECHO failed: ${echo.rejection ? JSON.stringify(echo.rejection) : echo.stderr.trim()}`);
    }
  } catch (err) {
    await stopProcess(child, 2000);
    throw new Error(`${name} did not become ready: ${(err as Error).message}\n--- ${name} output ---\n${tail()}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** storescp with its default options; with a PKI, `+tls` requiring a client certificate the CA signed. */
export function storescpDriverWith(pki?: BenchPki): ReceiverDriver {
  const name = pki ? 'storescp+tls' : 'storescp';
  const senderArgs = pki ? senderTlsArgs(pki) : [];
  return {
    name,
    unavailable: () => undefined,
    async start(workDir, parallel) {
      const outputDir = join(workDir, 'storage');
      mkdirSync(outputDir);
      // Default options apart from the output directory; --fork only when associations arrive in parallel.
      const scp = await startStorescp({
        outputDir,
        fork: parallel,
        logLevel: 'info',
        extraArgs: pki ? ['+tls', pki.storescp.key, pki.storescp.cert, '+cf', pki.ca, '-rc'] : [],
      });
      trackProcess(scp.child);
      const echo = await waitForEchoWith(scp.port, senderArgs, READY_TIMEOUT_MS);
      if (!echo.ok) {
        await scp.stop();
        throw new Error(`${name} does not answer C-ECHO: ${echo.stderr}`);
      }
      return {
        name,
        port: scp.port,
        senderArgs,
        pid: scp.pid,
        countStored: () => Promise.resolve(countFiles(outputDir)),
        stop: async () => {
          await scp.stop();
        },
        logTail: () => scp.log().slice(-16384),
      };
    },
  };
}

export const storescpDriver: ReceiverDriver = storescpDriverWith();

// ---------------------------------------------------------------------------------------------------------------

export const ORTHANC_BINARY = '/usr/sbin/Orthanc';

export const orthancDriver: ReceiverDriver = {
  name: 'orthanc',
  unavailable: () => (existsSync(ORTHANC_BINARY) ? undefined : `${ORTHANC_BINARY} not installed`),
  async start(workDir) {
    const dicomPort = await freePort();
    let httpPort = await freePort();
    while (httpPort === dicomPort) {
      httpPort = await freePort();
    }
    const storage = join(workDir, 'storage');
    const index = join(workDir, 'index');
    mkdirSync(storage);
    mkdirSync(index);
    const config = {
      Name: 'IEHUB_BENCH',
      StorageDirectory: storage,
      IndexDirectory: index,
      StorageCompression: false,
      MaximumStorageSize: 0,
      MaximumPatientCount: 0,
      // fsync every stored file, as the hub must before it answers success.
      SyncStorageArea: true,
      Plugins: [],
      LuaScripts: [],
      HttpServerEnabled: true,
      HttpPort: httpPort,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: false,
      SslEnabled: false,
      DicomServerEnabled: true,
      DicomAet: 'ORTHANC',
      DicomPort: dicomPort,
      DicomCheckCalledAet: false,
      DicomAlwaysAllowEcho: true,
      DicomAlwaysAllowStore: true,
      DicomCheckModalityHost: false,
      DicomModalities: {},
      OrthancPeers: {},
      UnknownSopClassAccepted: false,
      DicomScpTimeout: 30,
      StableAge: 3600,
      SaveJobs: false,
      DefaultEncoding: 'Latin1',
    };
    const configFile = join(workDir, 'orthanc.json');
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const { child, tail } = spawnLogged(ORTHANC_BINARY, [configFile], {
      env: dcmtkEnv(),
      cwd: workDir,
      logFile: join(workDir, 'orthanc.log'),
    });
    await waitReady('Orthanc', child, dicomPort, tail);
    return {
      name: 'orthanc',
      port: dicomPort,
      senderArgs: [],
      pid: child.pid!,
      countStored: async () => {
        const response = await fetch(`http://127.0.0.1:${httpPort}/statistics`);
        const stats = (await response.json()) as { CountInstances: number };
        return stats.CountInstances;
      },
      stop: async () => {
        await stopProcess(child, 15_000);
      },
      logTail: tail,
    };
  },
};

// ---------------------------------------------------------------------------------------------------------------

export interface HubOptions {
  /** Path to the built receiver entry point. */
  main: string;
  /** Must name a database the benchmark may drop: it is dropped and recreated before each hub run. */
  databaseUrl: string;
  redisUrl: string;
  /** The hub's LOG_LEVEL (default warn). */
  logLevel?: string;
  /** Listen for DICOM TLS too, and let the benchmark's sender in only over TLS with its certificate. */
  tls?: BenchPki;
  /** The label in the report (default "hub", or "hub+tls"). */
  name?: string;
}

/** The repository root: the nearest directory up from the benchmark holding package.json, else the cwd. */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      return dir;
    }
    if (dirname(dir) === dir) {
      return process.cwd();
    }
  }
}

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  main: 'dist/apps/receiver/src/main.js',
  databaseUrl: 'mysql://root@127.0.0.1:3306/iehub_bench',
  redisUrl: 'redis://127.0.0.1:6379',
};

export async function recreateDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(database) || !/bench/i.test(database)) {
    // It is dropped: refuse anything that does not look like a throwaway benchmark database.
    throw new Error(`refusing to drop database ${JSON.stringify(database)}: its name must contain "bench"`);
  }
  // Loaded lazily so the other receivers run without a database driver.
  const mysql = await import('mysql2/promise');
  const connection = await mysql.createConnection({
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password) || undefined,
  });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await connection.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await connection.end();
  }
}

export function hubConfig(
  dicomPort: number,
  httpPort: number,
  storageDir: string,
  tls?: { port: number; pki: BenchPki },
): unknown {
  return {
    hub: {
      aeTitle: 'IEP_HUB',
      bindAddress: '127.0.0.1',
      dicomPort,
      httpPort,
      storageDir,
      stableStudySeconds: 5,
      ...(tls && {
        tls: { port: tls.port, certificate: tls.pki.hub.cert, key: tls.pki.hub.key, ca: tls.pki.ca },
      }),
    },
    trusts: [
      {
        code: 'BEN',
        name: 'Benchmark sending trust',
        patientIdIssuer: 'BEN',
        nodes: [
          {
            aeTitle: CALLING_AE,
            host: '127.0.0.1',
            port: 4999,
            allowedIps: ['127.0.0.1'],
            send: true,
            receive: 'none',
            ...(tls && { tls: true, certificateSubject: `CN=${CALLING_AE}` }),
          },
        ],
      },
      {
        code: 'DST',
        name: 'Benchmark receiving trust',
        patientIdIssuer: 'DST',
        inbound: { emergency: CALLED_AE },
        // Every trust needs a node; this one pulls, so nothing tries to deliver during the benchmark.
        nodes: [{ aeTitle: 'DST_PACS', host: '127.0.0.1', port: 4998, allowedIps: ['127.0.0.1'], receive: 'pull' }],
      },
    ],
    agreements: [{ from: 'BEN', to: 'DST', folders: ['emergency'] }],
  };
}

export function hubDriver(options: HubOptions): ReceiverDriver {
  const root = repoRoot();
  const main = resolve(root, options.main);
  const name = options.name ?? (options.tls ? 'hub+tls' : 'hub');
  const pki = options.tls;
  const senderArgs = pki ? senderTlsArgs(pki) : [];
  return {
    name,
    unavailable: () => (existsSync(main) ? undefined : `${main} not built yet`),
    async start(workDir) {
      const ports = new Set<number>();
      while (ports.size < (pki ? 3 : 2)) {
        ports.add(await freePort());
      }
      const [dicomPort, httpPort, tlsPort] = [...ports];
      const storageDir = join(workDir, 'storage');
      mkdirSync(storageDir);
      const configFile = join(workDir, 'hub.yaml');
      const tls = pki && { port: tlsPort, pki };
      writeFileSync(configFile, stringify(hubConfig(dicomPort, httpPort, storageDir, tls)));
      // With TLS the sender is let in only on the TLS port: that is where it is measured.
      const port = tls ? tls.port : dicomPort;
      await recreateDatabase(options.databaseUrl);
      const { child, tail } = spawnLogged(process.execPath, [main], {
        env: dcmtkEnv({
          HUB_CONFIG: configFile,
          DATABASE_URL: options.databaseUrl,
          REDIS_URL: options.redisUrl,
          QUEUE_PREFIX: 'iehub-bench',
          LOG_LEVEL: options.logLevel ?? 'warn',
        }),
        cwd: root,
        logFile: join(workDir, 'hub.log'),
      });
      await waitReady('hub receiver', child, port, tail, senderArgs);
      return {
        name,
        port,
        senderArgs,
        pid: child.pid!,
        countStored: () => Promise.resolve(countFiles(storageDir)),
        stop: async () => {
          await stopProcess(child, 15_000);
        },
        logTail: tail,
      };
    },
  };
}
