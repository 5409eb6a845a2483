import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** MySQL named locks: one process at a time across the whole deployment. */
@Injectable()
export class NamedLockRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async withLock<T>(name: string, timeoutSeconds: number, work: () => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [row] = (await runner.query('SELECT GET_LOCK(?, ?) AS got', [name, timeoutSeconds])) as Array<{
        got: number | string | null;
      }>;
      if (Number(row?.got) !== 1) {
        throw new Error(`could not take the lock "${name}" within ${timeoutSeconds}s`);
      }
      try {
        return await work();
      } finally {
        await runner.query('SELECT RELEASE_LOCK(?)', [name]);
      }
    } finally {
      await runner.release();
    }
  }
}
