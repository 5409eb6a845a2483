import { MigrationInterface, QueryRunner } from 'typeorm';

/** Nodes that must connect over DICOM TLS, with the certificate subject they must present. */
export class NodeTls1795800000000 implements MigrationInterface {
  name = 'NodeTls1795800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`nodes\` ADD \`tls_subject\` varchar(255) NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`nodes\` DROP COLUMN \`tls_subject\``);
  }
}
