// The fault suite's own processes: the hub's apps as separate node processes, and throwaway MariaDB, Redis and
// HAProxy servers on loopback ports, each with its own directory, so the suite may kill, freeze and restart them
// without touching the machine's shared servers. Every process is tracked: one that exits without the suite
// having asked it to is recorded, and the run fails.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, WriteStream } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { descendantPids, freePort, sleep, waitForPort } from '../support/dcmtk';

export interface UnexpectedExit {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: Date;
  logTail: string;
}

/** A process the suite started. `expectExit` is set before the suite stops or kills it on purpose. */
export class Managed {
  child?: ChildProcess;
  expectExit = false;
  private out = '';
  private logStream?: WriteStream;
  exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly env: NodeJS.ProcessEnv,
    readonly logFile: string,
    private readonly onUnexpectedExit: (exit: UnexpectedExit) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What the process printed since it was last started (the file keeps every run). */
  output(): string {
    return this.out;
  }

  tail(lines = 30): string {
    return this.out.split('\n').slice(-lines).join('\n');
  }

  start(): void {
    if (this.alive) {
      throw new Error(`${this.name} is already running`);
    }
    this.out = '';
    this.expectExit = false;
    this.logStream ??= createWriteStream(this.logFile, { flags: 'a' });
    this.logStream.write(`\n===== start ${new Date().toISOString()} ${this.command} ${this.args.join(' ')}\n`);
    const child = spawn(this.command, this.args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const onData = (d: Buffer): void => {
      const text = d.toString('utf8');
      this.out += text;
      if (this.out.length > 2_000_000) {
        this.out = this.out.slice(-1_000_000);
      }
      this.logStream?.write(text);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.logStream?.write(`\n===== exit code=${code} signal=${signal} ${new Date().toISOString()}\n`);
        if (!this.expectExit) {
          this.onUnexpectedExit({ name: this.name, code, signal, at: new Date(), logTail: this.tail(40) });
        }
        resolve();
      });
      child.once('error', () => resolve());
    });
  }

  /** SIGKILL on purpose (the fault), and wait until it is gone. */
  async kill(): Promise<void> {
    if (!this.alive) {
      return;
    }
    this.expectExit = true;
    this.signal('SIGCONT');
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.alive) {
      this.child!.kill(signal);
    }
  }

  /** SIGTERM, then SIGKILL after graceMs; used at the end of the run. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.alive) {
      return;
    }
    this.expectExit = true;
    const descendants = descendantPids(this.child!.pid!);
    this.signal('SIGCONT');
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    for (const pid of descendants) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  closeLog(): void {
    this.logStream?.end();
    this.logStream = undefined;
  }
}

/** Polls check until it returns true; throws at the deadline with what was awaited. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    }
    await sleep(100);
  }
}

export class ProcessRegistry {
  readonly all: Managed[] = [];
  readonly unexpectedExits: UnexpectedExit[] = [];

  constructor(private readonly logDir: string) {
    mkdirSync(logDir, { recursive: true });
  }

  add(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Managed {
    const managed = new Managed(name, command, args, env, join(this.logDir, `${name}.log`), (exit) => {
      this.unexpectedExits.push(exit);
      console.log(`!! ${exit.name} exited by itself (code ${exit.code}, signal ${exit.signal})\n${exit.logTail}`);
    });
    this.all.push(managed);
    return managed;
  }

  async stopAll(): Promise<void> {
    // Apps first (they hold connections to the servers), then the servers.
    const order = [...this.all].sort((a, b) => Number(isServer(a)) - Number(isServer(b)));
    for (const managed of order) {
      await managed.stop(3000).catch(() => undefined);
      managed.closeLog();
    }
  }

  /** Synchronous last resort for exit handlers. */
  killAllNow(): void {
    for (const managed of this.all) {
      managed.expectExit = true;
      managed.signal('SIGCONT');
      managed.signal('SIGKILL');
    }
  }
}

function isServer(managed: Managed): boolean {
  return /^(mariadb|redis|haproxy)/.test(managed.name);
}

// ---------------------------------------------------------------------------------------------------------------
// MariaDB

export class ThrowawayMariaDb {
  readonly process: Managed;

  private constructor(
    readonly port: number,
    readonly datadir: string,
    registry: ProcessRegistry,
    mariadbd: string,
  ) {
    const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
    // --no-defaults: the machine's my.cnf names the shared server's datadir, socket and port.
    this.process = registry.add('mariadb', mariadbd, [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--socket=${join(datadir, 'mysqld.sock')}`,
      `--pid-file=${join(datadir, 'mysqld.pid')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_general_ci',
      '--innodb-buffer-pool-size=64M',
      '--max-connections=500',
      ...asRoot,
    ]);
  }

  static async create(dir: string, registry: ProcessRegistry): Promise<ThrowawayMariaDb> {
    const mariadbd = findBinary('mariadbd', 'mysqld');
    const installDb = findBinary('mariadb-install-db', 'mysql_install_db');
    if (!mariadbd || !installDb) {
      throw new Error('MariaDB is not installed (apt-get install -y mariadb-server)');
    }
    const datadir = join(dir, 'mysql');
    mkdirSync(datadir, { recursive: true });
    const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
    const log = join(dir, 'mariadb-install.log');
    const fd = openSync(log, 'a');
    try {
      execFileSync(
        installDb,
        [
          '--no-defaults',
          `--datadir=${datadir}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
          ...asRoot,
        ],
        { stdio: ['ignore', fd, fd] },
      );
    } catch {
      throw new Error(`${installDb} failed; see ${log}:\n${readFileSync(log, 'utf8').slice(-2000)}`);
    } finally {
      closeSync(fd);
    }
    const db = new ThrowawayMariaDb(await freePort(), datadir, registry, mariadbd);
    await db.start();
    return db;
  }

  url(database: string): string {
    return `mysql://root@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    this.process.start();
    await until('MariaDB to answer', () => this.answers(), 60_000);
  }

  async answers(): Promise<boolean> {
    if (!this.process.alive) {
      return false;
    }
    try {
      const c = await createConnection({ host: '127.0.0.1', port: this.port, user: 'root', connectTimeout: 1000 });
      try {
        await c.query({ sql: 'SELECT 1', timeout: 1000 });
        return true;
      } finally {
        await c.end().catch(() => undefined);
      }
    } catch {
      return false;
    }
  }

  /** Runs one query on a fresh connection (the server may have been killed since the last one). */
  async query<T>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
    const c = await createConnection({
      host: '127.0.0.1',
      port: this.port,
      user: 'root',
      database,
      connectTimeout: 5000,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    try {
      const [rows] = await c.query({ sql, values: params, timeout: 10_000 });
      return rows as T[];
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Redis

export class ThrowawayRedis {
  readonly process: Managed;

  private constructor(
    readonly port: number,
    dir: string,
    registry: ProcessRegistry,
    redisServer: string,
  ) {
    // appendonly: a Redis killed with -9 comes back with its queues, as a production Redis with AOF does.
    // prettier-ignore
    this.process = registry.add('redis', redisServer, [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--save', '',
      '--appendonly', 'yes',
      '--daemonize', 'no',
    ]);
  }

  static async create(dir: string, registry: ProcessRegistry): Promise<ThrowawayRedis> {
    const redisServer = findBinary('redis-server');
    if (!redisServer) {
      throw new Error('redis-server is not installed (apt-get install -y redis-server)');
    }
    const redisDir = join(dir, 'redis');
    mkdirSync(redisDir, { recursive: true });
    const redis = new ThrowawayRedis(await freePort(), redisDir, registry, redisServer);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.process.start();
    await waitForPort(this.port, 20_000, { pid: this.process.pid, isAlive: () => this.process.alive });
    await until('Redis to answer PING', async () => (await this.command('PING').catch(() => '')) === 'PONG', 20_000);
  }

  async command(...args: string[]): Promise<unknown> {
    const client = new Redis(this.url, {
      lazyConnect: true,
      connectTimeout: 2000,
      commandTimeout: 5000,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await client.call(args[0], ...args.slice(1));
    } finally {
      client.disconnect();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// HAProxy (TCP mode, round-robin per connection)

export class ThrowawayHaproxy {
  readonly process: Managed;

  private constructor(
    readonly port: number,
    private readonly statsSocket: string,
    registry: ProcessRegistry,
    haproxy: string,
    configFile: string,
  ) {
    // -db: stay in the foreground, so the suite owns the process.
    this.process = registry.add('haproxy', haproxy, ['-db', '-f', configFile]);
  }

  static async create(
    dir: string,
    registry: ProcessRegistry,
    backends: Array<{ name: string; port: number }>,
  ): Promise<ThrowawayHaproxy> {
    const haproxy = findBinary('haproxy');
    if (!haproxy) {
      throw new Error('haproxy is not installed (apt-get install -y haproxy)');
    }
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const statsSocket = join(dir, 'stats.sock');
    const configFile = join(dir, 'haproxy.cfg');
    const config = [
      'global',
      `  stats socket ${statsSocket} mode 600 level admin`,
      '  maxconn 512',
      'defaults',
      '  mode tcp',
      '  timeout connect 5s',
      '  timeout client 120s',
      '  timeout server 120s',
      'frontend dicom',
      `  bind 127.0.0.1:${port}`,
      '  default_backend receivers',
      'backend receivers',
      '  balance roundrobin',
      ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port}`),
      '',
    ].join('\n');
    await import('node:fs/promises').then((fs) => fs.writeFile(configFile, config));
    const proxy = new ThrowawayHaproxy(port, statsSocket, registry, haproxy, configFile);
    proxy.process.start();
    await waitForPort(port, 20_000, { pid: proxy.process.pid, isAlive: () => proxy.process.alive });
    return proxy;
  }

  /** Total sessions each backend server has taken (HAProxy's `stot`), from its stats socket. */
  async sessionsByServer(): Promise<Map<string, number>> {
    const csv = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(this.statsSocket);
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write('show stat\n');
    });
    const lines = csv.split('\n');
    const header = lines[0].replace(/^# /, '').split(',');
    const stot = header.indexOf('stot');
    const result = new Map<string, number>();
    for (const line of lines.slice(1)) {
      const cols = line.split(',');
      if (cols[0] === 'receivers' && cols[1] !== 'BACKEND' && cols[1]) {
        result.set(cols[1], Number(cols[stot]));
      }
    }
    return result;
  }
}

export function findBinary(...names: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const name of names) {
    for (const dir of dirs) {
      const file = join(dir, name);
      if (existsSync(file)) {
        return file;
      }
    }
  }
  return undefined;
}
