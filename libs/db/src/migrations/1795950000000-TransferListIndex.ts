import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The portal lists transfers newest first, a page at a time: an index on created_at keeps that off a filesort.
 * Listings for clinicians leave restricted studies out, found by an index on studies.restricted.
 */
export class TransferListIndex1795950000000 implements MigrationInterface {
  name = 'TransferListIndex1795950000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX `idx_transfers_created` ON `transfers` (`created_at`)');
    await queryRunner.query('CREATE INDEX `idx_studies_restricted` ON `studies` (`restricted`)');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX `idx_studies_restricted` ON `studies`');
    await queryRunner.query('DROP INDEX `idx_transfers_created` ON `transfers`');
  }
}
