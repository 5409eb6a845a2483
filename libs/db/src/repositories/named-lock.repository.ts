import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';

/** MySQL named locks: one process at a time across the whole deployment. */
@Injectable()
export class NamedLockRepository implements OnModuleDestroy {
  /** The session this process holds its slots on (one connection for all of them, kept out of the pool's way). */
  private slotSession?: QueryRunner;
  /** Slots this process holds, each with its holder: MySQL lets a session take a lock it holds again. */
  private readonly heldHere = new Map<string, object>();
  /** Slot requests run one at a time (the check of heldHere and the GET_LOCK must not interleave). */
  private slotQueue: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Takes one of `slots` slots named `<prefix>.<n>`, shared by every process of the deployment, without
   * waiting: a release function, or undefined when all are taken. A slot is a MySQL named lock held by
   * this process's slot session, so a process that dies gives its slots back with its connection.
   */
  tryTakeSlot(prefix: string, slots: number): Promise<(() => Promise<void>) | undefined> {
    const attempt = this.slotQueue.then(() => this.takeSlot(prefix, slots));
    this.slotQueue = attempt.catch(() => undefined);
    return attempt;
  }

  async onModuleDestroy(): Promise<void> {
    await this.dropSession();
  }

  private async takeSlot(prefix: string, slots: number): Promise<(() => Promise<void>) | undefined> {
    try {
      return await this.takeSlotOn(await this.session(), prefix, slots);
    } catch {
      // The session's connection is gone (MySQL restarted), and with it every slot it held: once more, anew.
      await this.dropSession();
      return this.takeSlotOn(await this.session(), prefix, slots);
    }
  }

  private async takeSlotOn(
    session: QueryRunner,
    prefix: string,
    slots: number,
  ): Promise<(() => Promise<void>) | undefined> {
    for (let slot = 1; slot <= slots; slot += 1) {
      const name = `${prefix}.${slot}`;
      if (this.heldHere.has(name)) {
        continue;
      }
      const [row] = (await session.query('SELECT GET_LOCK(?, 0) AS got', [name])) as Array<{ got: unknown }>;
      if (Number(row?.got) === 1) {
        const holder = {};
        this.heldHere.set(name, holder);
        return async () => {
          if (this.heldHere.get(name) === holder) {
            this.heldHere.delete(name);
          }
          // A session lost meanwhile (MySQL restarted) gave the lock back already.
          await session.query('SELECT RELEASE_LOCK(?)', [name]).catch(() => undefined);
        };
      }
    }
    return undefined;
  }

  private async session(): Promise<QueryRunner> {
    if (this.slotSession && !this.slotSession.isReleased) {
      return this.slotSession;
    }
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    this.slotSession = runner;
    return runner;
  }

  private async dropSession(): Promise<void> {
    this.heldHere.clear();
    const session = this.slotSession;
    this.slotSession = undefined;
    await session?.release().catch(() => undefined);
  }

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
