import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './config.error';
import { EnvConfig } from './hub-config.types';

export const DEFAULT_DATABASE_URL = 'mysql://root@127.0.0.1:3306/image_exchange_hub';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const LOG_LEVELS: readonly EnvConfig['logLevel'][] = ['error', 'warn', 'log', 'debug', 'verbose'];
export const LOG_FORMATS: readonly NonNullable<EnvConfig['logFormat']>[] = ['json', 'pretty'];
const LOCAL_HUB_CONFIG = 'config/hub.yaml';
const EXAMPLE_HUB_CONFIG = 'config/hub.example.yaml';

const isFile = (path: string): boolean => existsSync(path) && statSync(path).isFile();

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

// Messages never repeat the URL itself: it may carry a password.
function databaseUrlProblem(value: string): string | undefined {
  const url = parseUrl(value);
  if (!url) {
    return 'not a URL (expected mysql://user:password@host:3306/database)';
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    return `expected a mysql:// or mariadb:// URL, got ${url.protocol}//`;
  }
  if (!url.hostname) {
    return 'missing the host (expected mysql://user:password@host:3306/database)';
  }
  const database = url.pathname.replace(/^\//, '');
  if (!database || database.includes('/')) {
    return 'missing the database name (expected mysql://user:password@host:3306/database)';
  }
  return undefined;
}

function redisUrlProblem(value: string): string | undefined {
  const url = parseUrl(value);
  if (!url) {
    return 'not a URL (expected redis://host:6379)';
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return `expected a redis:// or rediss:// URL, got ${url.protocol}//`;
  }
  if (!url.hostname) {
    return 'missing the host (expected redis://host:6379)';
  }
  if (!/^\/?(\d+)?$/.test(url.pathname)) {
    return 'the path must be a database number (redis://host:6379/0)';
  }
  return undefined;
}

/**
 * Reads the process environment (callers pass `process.env`; nothing else in the project reads it).
 * Relative paths are resolved against `cwd`. Throws ConfigError naming every bad variable.
 */
export function loadEnvConfig(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): EnvConfig {
  const issues: string[] = [];
  // An empty value (`LOG_LEVEL=` in a service file) means "not set".
  const read = (name: string): string | undefined => env[name]?.trim() || undefined;

  let hubConfigPath: string;
  const hubConfig = read('HUB_CONFIG');
  if (hubConfig !== undefined) {
    hubConfigPath = resolve(cwd, hubConfig);
    if (!isFile(hubConfigPath)) {
      issues.push(`HUB_CONFIG: no such file: ${hubConfigPath}`);
    }
  } else {
    const local = resolve(cwd, LOCAL_HUB_CONFIG);
    hubConfigPath = isFile(local) ? local : resolve(cwd, EXAMPLE_HUB_CONFIG);
    if (!isFile(hubConfigPath)) {
      issues.push(`HUB_CONFIG: not set, and neither ${LOCAL_HUB_CONFIG} nor ${EXAMPLE_HUB_CONFIG} exists in ${cwd}`);
    }
  }

  const databaseUrl = read('DATABASE_URL') ?? DEFAULT_DATABASE_URL;
  const databaseProblem = databaseUrlProblem(databaseUrl);
  if (databaseProblem) {
    issues.push(`DATABASE_URL: ${databaseProblem}`);
  }

  const redisUrl = read('REDIS_URL') ?? DEFAULT_REDIS_URL;
  const redisProblem = redisUrlProblem(redisUrl);
  if (redisProblem) {
    issues.push(`REDIS_URL: ${redisProblem}`);
  }

  const requestedLevel = (read('LOG_LEVEL') ?? 'log').toLowerCase();
  const queuePrefix = read('QUEUE_PREFIX') ?? 'iehub';
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(queuePrefix)) {
    issues.push('QUEUE_PREFIX: 1 to 32 letters, digits, underscores or hyphens');
  }
  const logLevel = LOG_LEVELS.find((level) => level === requestedLevel);
  if (logLevel === undefined) {
    issues.push(`LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(requestedLevel)}`);
  }

  const requestedFormat = read('LOG_FORMAT')?.toLowerCase();
  const logFormat = LOG_FORMATS.find((format) => format === requestedFormat);
  if (requestedFormat !== undefined && logFormat === undefined) {
    issues.push(`LOG_FORMAT: expected one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(requestedFormat)}`);
  }

  const databaseMigrate = (read('DATABASE_MIGRATE') ?? 'boot').toLowerCase();
  if (databaseMigrate !== 'boot' && databaseMigrate !== 'skip') {
    issues.push(`DATABASE_MIGRATE: expected boot or skip, got ${JSON.stringify(databaseMigrate)}`);
  }

  if (issues.length > 0 || logLevel === undefined) {
    throw new ConfigError(issues, 'Invalid environment');
  }
  return {
    hubConfigPath,
    databaseUrl,
    redisUrl,
    logLevel,
    queuePrefix,
    ...(logFormat ? { logFormat } : {}),
    databaseMigrate: databaseMigrate === 'skip' ? 'skip' : 'boot',
  };
}
