import { MigrationInterface, QueryRunner } from 'typeorm';

const BEFORE = `'queued', 'delivering', 'delivered', 'partially-delivered', 'failed', 'awaiting-pull', 'suspended', 'expired'`;

/** A transfer a person stopped (the portal's "Cancel"): a state of its own, so neither sweep nor delivery takes it up. */
export class TransferCancelled1795700000000 implements MigrationInterface {
  name = 'TransferCancelled1795700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`transfers\` MODIFY \`state\` enum (${BEFORE}, 'cancelled') NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Going back, a cancelled transfer becomes failed: not delivered, and not taken up again by the sweep.
    await queryRunner.query(`UPDATE \`transfers\` SET \`state\` = 'failed' WHERE \`state\` = 'cancelled'`);
    await queryRunner.query(`ALTER TABLE \`transfers\` MODIFY \`state\` enum (${BEFORE}) NOT NULL`);
  }
}
