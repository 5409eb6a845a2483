import { MigrationInterface, QueryRunner } from 'typeorm';

/** A session serves no patient data until its user has acknowledged the access notice: when they did. */
export class SessionNotice1796500000000 implements MigrationInterface {
  name = 'SessionNotice1796500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `user_sessions` ADD `notice_acknowledged_at` datetime(3) NULL');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `user_sessions` DROP COLUMN `notice_acknowledged_at`');
  }
}
