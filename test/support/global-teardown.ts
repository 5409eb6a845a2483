import { createConnection } from 'mysql2/promise';

export default async function globalTeardown(): Promise<void> {
  const name = process.env.IEHUB_TEST_DATABASE_NAME;
  if (!name || process.env.KEEP_TEST_DATABASE) {
    return;
  }
  const base = process.env.TEST_DATABASE_SERVER ?? 'mysql://root@127.0.0.1:3306';
  const connection = await createConnection({ uri: `${base}/` });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await connection.end();
  }
}
