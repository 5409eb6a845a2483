import { createConnection } from 'mysql2/promise';

export default async function globalTeardown(): Promise<void> {
  const name = process.env.IEHUB_TEST_DATABASE_NAME;
  if (!name || process.env.KEEP_TEST_DATABASE) {
    return;
  }
  const base = process.env.TEST_DATABASE_SERVER ?? 'mysql://root@127.0.0.1:3306';
  const connection = await createConnection({ uri: `${base}/` });
  try {
    // The run's database and every spec file's own (`<name>_<suffix>`).
    const [rows] = await connection.query('SHOW DATABASES');
    const names = (rows as Array<{ Database: string }>)
      .map((row) => row.Database)
      .filter((database) => database === name || database.startsWith(`${name}_`));
    for (const database of names) {
      await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
    }
  } finally {
    await connection.end();
  }
}
