import { MigrationInterface, QueryRunner } from 'typeorm';

/** Portal accounts and their sessions (generated, then trimmed to the two new tables). */
export class Accounts1795500000000 implements MigrationInterface {
  name = 'Accounts1795500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE \`users\` (
                \`id\` varchar(36) NOT NULL,
                \`username\` varchar(64) NOT NULL,
                \`password_hash\` varchar(255) NOT NULL,
                \`role\` enum ('operator', 'trust-admin', 'governance', 'clinician') NOT NULL,
                \`trust_id\` char(36) NULL,
                \`disabled\` tinyint NOT NULL DEFAULT 0,
                \`failed_logins\` int UNSIGNED NOT NULL DEFAULT '0',
                \`locked_until\` datetime(3) NULL,
                \`last_login_at\` datetime(3) NULL,
                \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
                \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
                INDEX \`idx_users_trust\` (\`trust_id\`),
                UNIQUE INDEX \`uq_users_username\` (\`username\`),
                PRIMARY KEY (\`id\`)
            ) ENGINE = InnoDB
        `);
    await queryRunner.query(`
            CREATE TABLE \`user_sessions\` (
                \`token_hash\` char(64) NOT NULL,
                \`user_id\` char(36) NOT NULL,
                \`created_at\` datetime(3) NOT NULL,
                \`last_seen_at\` datetime(3) NOT NULL,
                \`expires_at\` datetime(3) NOT NULL,
                INDEX \`idx_user_sessions_expires\` (\`expires_at\`),
                INDEX \`idx_user_sessions_user\` (\`user_id\`),
                PRIMARY KEY (\`token_hash\`)
            ) ENGINE = InnoDB
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE \`user_sessions\``);
    await queryRunner.query(`DROP TABLE \`users\``);
  }
}
