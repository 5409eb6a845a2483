import 'reflect-metadata';
import { DataSource, DataSourceOptions } from 'typeorm';
import { createConnection } from 'mysql2/promise';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/** The single TypeORM data source definition: the app, the tests and the migration CLI all build it here. */
export function dataSourceOptions(databaseUrl: string): DataSourceOptions {
  return {
    type: 'mysql',
    url: databaseUrl.replace(/^mariadb:/, 'mysql:'),
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    supportBigNumbers: true,
    bigNumberStrings: true,
    extra: { connectionLimit: 10, enableKeepAlive: true },
  };
}

/** Creates the database named in the URL when it does not exist yet. */
export async function ensureDatabaseExists(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl.replace(/^mariadb:/, 'mysql:'));
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(database)) {
    throw new Error(`DATABASE_URL: database name "${database}" must be letters, digits and underscores`);
  }
  url.pathname = '/';
  const connection = await createConnection({ uri: url.toString(), connectTimeout: 5000 });
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await connection.end();
  }
}

/** A database whose schema is behind this version, met with DATABASE_MIGRATE=skip: waiting will not fix it. */
export class MigrationsPendingError extends Error {}

/** Whether the apps run migrations as they start (boot) or a separate step has (skip): DATABASE_MIGRATE. */
export type DatabaseMigrate = 'boot' | 'skip';

/**
 * Connects to the database. boot: creates it if needed and runs pending migrations (several apps may start at
 * once against a new database, so under a MySQL named lock). skip: only checks that none is pending, so an
 * account without schema rights can run the apps once the migrate step has.
 */
export async function openDatabase(
  databaseUrl: string,
  options = dataSourceOptions(databaseUrl),
  migrate: DatabaseMigrate = 'boot',
): Promise<DataSource> {
  if (migrate === 'boot') {
    await ensureDatabaseExists(databaseUrl);
  }
  const dataSource = new DataSource(options);
  await dataSource.initialize();
  try {
    if (migrate === 'boot') {
      await runMigrationsLocked(dataSource);
    } else {
      await assertMigrated(dataSource);
    }
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/** The migrate step: creates the database if needed and runs pending migrations; returns the names it ran. */
export async function migrateDatabase(databaseUrl: string): Promise<string[]> {
  await ensureDatabaseExists(databaseUrl);
  const dataSource = new DataSource(dataSourceOptions(databaseUrl));
  await dataSource.initialize();
  try {
    return (await runMigrationsLocked(dataSource)).map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}

async function runMigrationsLocked(dataSource: DataSource) {
  const lockHolder = dataSource.createQueryRunner();
  try {
    await lockHolder.query("SELECT GET_LOCK('image_exchange_hub_migrations', 120)");
    return await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lockHolder.query("SELECT RELEASE_LOCK('image_exchange_hub_migrations')");
    await lockHolder.release();
  }
}

async function assertMigrated(dataSource: DataSource): Promise<void> {
  let applied: string[] = [];
  try {
    applied = ((await dataSource.query('SELECT name FROM migrations')) as Array<{ name: string }>).map(
      (row) => row.name,
    );
  } catch {
    // No migrations table yet: nothing has run.
  }
  const pending = dataSource.migrations.map((migration) => migration.name ?? migration.constructor.name);
  const missing = pending.filter((name) => !applied.includes(name));
  if (missing.length > 0) {
    throw new MigrationsPendingError(
      `DATABASE_MIGRATE=skip, but ${missing.length} migration(s) have not run on this database (first: ${missing[0]}): ` +
        'run the migrate step first (node dist/apps/cli/src/main.js db migrate, or docker compose run --rm migrate)',
    );
  }
}
