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

/**
 * Creates the database if needed, connects and runs pending migrations. Several apps may start at
 * once against a new database, so migrations run under a MySQL named lock.
 */
export async function openDatabase(databaseUrl: string, options = dataSourceOptions(databaseUrl)): Promise<DataSource> {
  await ensureDatabaseExists(databaseUrl);
  const dataSource = new DataSource(options);
  await dataSource.initialize();
  const lockHolder = dataSource.createQueryRunner();
  try {
    await lockHolder.query("SELECT GET_LOCK('image_exchange_hub_migrations', 120)");
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lockHolder.query("SELECT RELEASE_LOCK('image_exchange_hub_migrations')");
    await lockHolder.release();
  }
  return dataSource;
}
