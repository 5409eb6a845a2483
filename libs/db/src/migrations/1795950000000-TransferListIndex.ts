import { MigrationInterface, QueryRunner } from 'typeorm';

/** The portal lists transfers newest first, a page at a time: an index on created_at keeps that off a filesort. */
export class TransferListIndex1795950000000 implements MigrationInterface {
  name = 'TransferListIndex1795950000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX `idx_transfers_created` ON `transfers` (`created_at`)');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX `idx_transfers_created` ON `transfers`');
  }
}
