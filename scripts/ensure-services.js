'use strict';
// Runs before the app and the tests (prestart/pretest): makes sure MySQL and Redis answer, starting a local
// server when one is installed but not running. It reads the environment itself because it runs before the app's
// config exists; keep the defaults identical to libs/config. It never creates the database: the app does.
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const mysql = require('mysql2/promise');
const Redis = require('ioredis');

const DATABASE_URL = process.env.DATABASE_URL || 'mysql://root@127.0.0.1:3306/image_exchange_hub';
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

const ROOT = path.resolve(__dirname, '..');
const VAR = path.join(ROOT, 'var');
const LOG_DIR = path.join(VAR, 'log');
const SYSTEM_MYSQL_DATADIR = '/var/lib/mysql';
const PROBE_TIMEOUT_MS = 2000;
const START_DEADLINE_MS = 30000;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);
const IS_ROOT = process.getuid?.() === 0;

class Failure extends Error {}

function target(url, defaultPort) {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(u.port || defaultPort);
  return { u, host, port, where: `${host}:${port}`, local: LOCAL_HOSTS.has(host) };
}

/** 'up', 'down' (nothing answers), or the server's own refusal (bad credentials): it answers, but not to us. */
async function probeMysql({ u, host, port }) {
  let conn;
  try {
    conn = await mysql.createConnection({
      host,
      port,
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      connectTimeout: PROBE_TIMEOUT_MS,
    });
    await conn.query({ sql: 'SELECT 1', timeout: PROBE_TIMEOUT_MS });
    return { state: 'up' };
  } catch (err) {
    return err.sqlMessage ? { state: 'refused', reason: err.sqlMessage } : { state: 'down' };
  } finally {
    await conn?.end().catch(() => undefined);
  }
}

async function probeRedis({ u }) {
  const client = new Redis(u.toString(), {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    commandTimeout: PROBE_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // A refused AUTH or ready check arrives as an 'error' event; the awaited call then only says the connection closed.
  let refusal;
  client.on('error', (err) => {
    if (err instanceof Redis.ReplyError) {
      refusal = err;
    }
  });
  try {
    await client.connect();
    await client.ping();
    return { state: 'up' };
  } catch (err) {
    const reply = err instanceof Redis.ReplyError ? err : refusal;
    return reply ? { state: 'refused', reason: reply.message } : { state: 'down' };
  } finally {
    client.disconnect();
  }
}

function findBinary(...names) {
  const dirs = [...(process.env.PATH || '').split(path.delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin'];
  for (const name of names) {
    for (const dir of dirs) {
      const file = path.join(dir, name);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

function rel(dir) {
  return `./${path.relative(ROOT, dir)}`;
}

async function waitUntilUp(probe, t, name, child, logHint) {
  let exited = false;
  child?.once('exit', () => (exited = true));
  const deadline = Date.now() + START_DEADLINE_MS;
  for (;;) {
    const result = await probe(t);
    if (result.state !== 'down') {
      return result;
    }
    if (exited || Date.now() > deadline) {
      throw new Failure(`${name} did not come up at ${t.where}${exited ? ' (it exited)' : ''}; see ${logHint}.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** Debian's own server: started the way this machine image starts it, for when there is no systemd. */
function startSystemMysql(mariadbd) {
  if (!IS_ROOT) {
    throw new Failure(
      `MySQL does not answer at 127.0.0.1:3306. Start the system MariaDB as root: ` +
        `start-stop-daemon --start --oknodo --background --exec ${mariadbd} -- --user=mysql`,
    );
  }
  const owner = execFileSync('stat', ['-c', '%U', SYSTEM_MYSQL_DATADIR], { encoding: 'utf8' }).trim();
  // /run is a tmpfs: the socket and pid directory of Debian's config is gone after a reboot.
  execFileSync('install', ['-d', '-m', '755', '-o', owner, '/run/mysqld']);
  // --pidfile (Debian's pid-file) keeps a project-local mariadbd from counting as the system one being up.
  // prettier-ignore
  execFileSync('start-stop-daemon', [
    '--start', '--oknodo', '--background',
    '--pidfile', '/run/mysqld/mysqld.pid',
    '--exec', mariadbd,
    '--', `--user=${owner}`,
  ]);
  return `started the system MariaDB (${SYSTEM_MYSQL_DATADIR})`;
}

function startLocalMysql(mariadbd, t) {
  const datadir = path.join(VAR, 'mysql');
  fs.mkdirSync(datadir, { recursive: true });
  fs.mkdirSync(LOG_DIR, { recursive: true });
  // --no-defaults: the system my.cnf names its own datadir, pid file, socket and log, which must not be shared.
  const common = ['--no-defaults', `--datadir=${datadir}`, ...(IS_ROOT ? ['--user=root'] : [])];
  if (!fs.existsSync(path.join(datadir, 'mysql'))) {
    const installDb = findBinary('mariadb-install-db', 'mysql_install_db');
    if (!installDb) {
      throw new Failure(`${mariadbd} is installed but mariadb-install-db is not: apt-get install -y mariadb-server`);
    }
    const log = path.join(LOG_DIR, 'mysql-install.log');
    const fd = fs.openSync(log, 'a');
    try {
      execFileSync(installDb, [...common, '--auth-root-authentication-method=normal', '--skip-test-db'], {
        stdio: ['ignore', fd, fd],
      });
    } catch {
      throw new Failure(`${installDb} failed to initialise ${rel(datadir)}; see ${rel(log)}.`);
    } finally {
      fs.closeSync(fd);
    }
  }
  const log = path.join(LOG_DIR, 'mysql.log');
  const fd = fs.openSync(log, 'a');
  const args = [
    ...common,
    `--socket=${path.join(datadir, 'mysqld.sock')}`,
    `--pid-file=${path.join(datadir, 'mysqld.pid')}`,
    `--port=${t.port}`,
    `--bind-address=${t.host === '::1' ? '::1' : '127.0.0.1'}`,
    // Same server defaults as the system one, so a database the app creates is utf8mb4 either way.
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
  ];
  const child = spawn(mariadbd, args, { detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  child.unref();
  return { child, how: `started local mariadbd (${rel(datadir)})`, log: rel(log) };
}

function startLocalRedis(redisServer, t) {
  const dir = path.join(VAR, 'redis');
  const log = path.join(LOG_DIR, 'redis.log');
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(LOG_DIR, { recursive: true });
  // prettier-ignore
  execFileSync(redisServer, [
    '--port', String(t.port),
    '--bind', t.host === '::1' ? '::1' : '127.0.0.1',
    '--dir', dir,
    '--daemonize', 'yes',
    '--appendonly', 'yes',
    '--pidfile', path.join(dir, 'redis.pid'),
    '--logfile', log,
  ]);
  return { how: `started local redis-server (${rel(dir)})`, log: rel(log) };
}

const SERVICES = [
  {
    key: 'mysql',
    name: 'MySQL',
    url: DATABASE_URL,
    env: 'DATABASE_URL',
    defaultPort: 3306,
    probe: probeMysql,
    package: 'mariadb-server',
    // Debian's own MariaDB lets root in through the unix socket only (see docs/operations.md).
    refusedHint:
      `Fix DATABASE_URL, or let that user in over TCP, e.g. for root on this host: mariadb -e "ALTER USER ` +
      `'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')"`,
    start(t) {
      const mariadbd = findBinary('mariadbd', 'mysqld');
      if (!mariadbd) {
        return undefined;
      }
      if (t.port === 3306 && fs.existsSync(path.join(SYSTEM_MYSQL_DATADIR, 'mysql'))) {
        return { how: startSystemMysql(mariadbd), log: 'the log-error file named in /etc/mysql/my.cnf' };
      }
      return startLocalMysql(mariadbd, t);
    },
  },
  {
    key: 'redis',
    name: 'Redis',
    url: REDIS_URL,
    env: 'REDIS_URL',
    defaultPort: 6379,
    probe: probeRedis,
    package: 'redis-server',
    refusedHint: 'Fix the password in REDIS_URL.',
    start(t) {
      const redisServer = findBinary('redis-server');
      return redisServer && startLocalRedis(redisServer, t);
    },
  },
];

async function ensure(service) {
  const t = target(service.url, service.defaultPort);
  let result = await service.probe(t);
  let how = 'answering';
  if (result.state === 'down') {
    if (!t.local) {
      throw new Failure(`${service.name} does not answer at ${t.where}. Start it there, or set ${service.env}.`);
    }
    const started = service.start(t);
    if (!started) {
      throw new Failure(
        `${service.name} does not answer at ${t.where}. ` +
          `Install it (apt-get install -y ${service.package}) or run: docker compose up -d mysql redis`,
      );
    }
    result = await waitUntilUp(service.probe, t, service.name, started.child, started.log);
    how = `${started.how}, answering`;
  }
  if (result.state === 'refused') {
    const reason = result.reason.replace(/\.$/, '');
    throw new Failure(`${service.name} answers at ${t.where} but refuses us: ${reason}. ${service.refusedHint}`);
  }
  console.log(`${service.key}: ${how} at ${t.where}`);
}

async function main() {
  // Sequential: each line is printed as soon as that service is settled, and a failure names one service.
  for (const service of SERVICES) {
    await ensure(service);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Failure ? err.message : err);
    process.exit(1);
  },
);
