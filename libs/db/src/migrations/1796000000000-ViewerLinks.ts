import { MigrationInterface, QueryRunner } from 'typeorm';

/** Secure viewer links: one study each, the token stored as its SHA-256, revocable. */
export class ViewerLinks1796000000000 implements MigrationInterface {
  name = 'ViewerLinks1796000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE \`viewer_links\` (
        \`id\` varchar(36) NOT NULL,
        \`study_id\` char(36) NOT NULL,
        \`transfer_id\` char(36) NOT NULL,
        \`token_hash\` char(64) NOT NULL,
        \`created_by\` varchar(128) NOT NULL,
        \`expires_at\` datetime(3) NOT NULL,
        \`revoked_at\` datetime(3) NULL,
        \`revoked_by\` varchar(128) NULL,
        \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        INDEX \`idx_viewer_links_study\` (\`study_id\`),
        UNIQUE INDEX \`uq_viewer_links_token\` (\`token_hash\`),
        PRIMARY KEY (\`id\`)
      ) ENGINE=InnoDB`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE \`viewer_links\``);
  }
}
