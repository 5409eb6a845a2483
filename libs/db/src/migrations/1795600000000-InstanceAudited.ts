import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When an instance's `instances-stored` audit event was written: null for one acknowledged whose event a
 * crash prevented, which the receiver's reconciliation then writes.
 */
export class InstanceAudited1795600000000 implements MigrationInterface {
  name = 'InstanceAudited1795600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`instances\` ADD \`audited_at\` datetime(3) NULL`);
    // Every instance stored before this migration was audited at the end of its association.
    await queryRunner.query(`UPDATE \`instances\` SET \`audited_at\` = \`received_at\``);
    await queryRunner.query(
      `CREATE INDEX \`idx_instances_unaudited\` ON \`instances\` (\`audited_at\`, \`received_at\`)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`idx_instances_unaudited\` ON \`instances\``);
    await queryRunner.query(`ALTER TABLE \`instances\` DROP COLUMN \`audited_at\``);
  }
}
