import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config.error';
import { loadEnvConfig } from './env.config';

function issuesOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) {
      return error.issues;
    }
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadEnvConfig', () => {
  let cwd: string;
  const touch = (relative: string): string => {
    const path = join(cwd, relative);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, 'hub: {}\n');
    return path;
  };

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'hub-env-'));
    touch('config/hub.example.yaml');
  });
  afterEach(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it('applies the defaults, falling back to the example hub file', () => {
    expect(loadEnvConfig({}, cwd)).toEqual({
      hubConfigPath: join(cwd, 'config/hub.example.yaml'),
      databaseUrl: 'mysql://root@127.0.0.1:3306/image_exchange_hub',
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'iehub',
      logLevel: 'log',
      databaseMigrate: 'boot',
    });
  });

  it('prefers config/hub.yaml when it exists', () => {
    const local = touch('config/hub.yaml');

    expect(loadEnvConfig({}, cwd).hubConfigPath).toBe(local);
  });

  it('takes every value from the environment, treating empty values as unset', () => {
    const custom = touch('site/hub.yaml');

    expect(
      loadEnvConfig(
        {
          HUB_CONFIG: 'site/hub.yaml',
          DATABASE_URL: 'mariadb://hub:s3cret@db.internal:3307/hub',
          REDIS_URL: 'rediss://cache.internal:6380/2',
          LOG_LEVEL: 'DEBUG',
          DATABASE_MIGRATE: 'skip',
          OTHER: '',
        },
        cwd,
      ),
    ).toEqual({
      hubConfigPath: custom,
      databaseUrl: 'mariadb://hub:s3cret@db.internal:3307/hub',
      redisUrl: 'rediss://cache.internal:6380/2',
      queuePrefix: 'iehub',
      logLevel: 'debug',
      databaseMigrate: 'skip',
    });
    expect(loadEnvConfig({ LOG_LEVEL: '', DATABASE_URL: ' ' }, cwd)).toMatchObject({
      logLevel: 'log',
      databaseUrl: 'mysql://root@127.0.0.1:3306/image_exchange_hub',
    });
  });

  it.each([
    ['postgres://hub@db/hub', 'DATABASE_URL: expected a mysql:// or mariadb:// URL, got postgres://'],
    [
      'mysql://root@127.0.0.1:3306',
      'DATABASE_URL: missing the database name (expected mysql://user:password@host:3306/database)',
    ],
    [
      'mysql://root@127.0.0.1:3306/',
      'DATABASE_URL: missing the database name (expected mysql://user:password@host:3306/database)',
    ],
    ['not a url', 'DATABASE_URL: not a URL (expected mysql://user:password@host:3306/database)'],
  ])('rejects DATABASE_URL %s', (value, issue) => {
    expect(issuesOf(() => loadEnvConfig({ DATABASE_URL: value }, cwd))).toEqual([issue]);
  });

  it('never repeats a password from a bad DATABASE_URL', () => {
    const error = (() => {
      try {
        loadEnvConfig({ DATABASE_URL: 'postgres://hub:s3cret@db/hub' }, cwd);
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a ConfigError');
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('DATABASE_URL');
    expect(error.message).not.toContain('s3cret');
  });

  it('reports every bad variable at once', () => {
    expect(
      issuesOf(() =>
        loadEnvConfig({ HUB_CONFIG: 'nowhere.yaml', REDIS_URL: 'http://cache:6379', LOG_LEVEL: 'info' }, cwd),
      ),
    ).toEqual([
      `HUB_CONFIG: no such file: ${join(cwd, 'nowhere.yaml')}`,
      'REDIS_URL: expected a redis:// or rediss:// URL, got http://',
      'LOG_LEVEL: expected one of error, warn, log, debug, verbose, got "info"',
    ]);
  });

  it('reports a missing default hub file', () => {
    rmSync(join(cwd, 'config'), { recursive: true });

    expect(issuesOf(() => loadEnvConfig({}, cwd))).toEqual([
      `HUB_CONFIG: not set, and neither config/hub.yaml nor config/hub.example.yaml exists in ${cwd}`,
    ]);
  });
});
