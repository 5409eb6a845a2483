import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { openDatabase } from '../../libs/db/src/data-source';

/**
 * One MariaDB database per test run, migrated once; integration and end-to-end specs share it
 * (each scopes its assertions to the studies it sent). Dropped again in global teardown.
 */
export default async function globalSetup(): Promise<void> {
  const base = process.env.TEST_DATABASE_SERVER ?? 'mysql://root@127.0.0.1:3306';
  const name = `iehub_test_${process.pid}_${Date.now().toString(36)}`;
  const url = `${base}/${name}`;
  const dataSource = await openDatabase(url);
  await dataSource.destroy();
  process.env.IEHUB_TEST_DATABASE_URL = url;
  process.env.IEHUB_TEST_DATABASE_NAME = name;
  // Fail early and clearly when DCMTK is missing, rather than in every end-to-end spec.
  try {
    execFileSync('storescu', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('DCMTK is not installed: apt-get install -y dcmtk (the end-to-end tests use its tools as peers)');
  }
  // The CLI specs run the operator's CLI from the build, as `npm run hub` does: bring dist up to date once here,
  // not inside a test's timeout (a no-op when dist is newer than the sources).
  execFileSync(process.execPath, [path.resolve(__dirname, '..', '..', 'scripts', 'hub.js'), '--build-only'], {
    stdio: 'inherit',
    timeout: 300_000,
  });
}
