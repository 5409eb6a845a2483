import { MigrationInterface, QueryRunner } from 'typeorm';

/** Fetch requests ("source it"): generated from FetchRequestEntity, trimmed to the new table. */
export class FetchRequests1795372240969 implements MigrationInterface {
  name = 'FetchRequests1795372240969';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE \`fetch_requests\` (
                \`id\` varchar(36) NOT NULL,
                \`source_trust_id\` char(36) NOT NULL,
                \`source_node_id\` char(36) NOT NULL,
                \`recipient_trust_id\` char(36) NOT NULL,
                \`folder\` enum ('emergency', 'elective') NOT NULL,
                \`study_instance_uid\` varchar(64) NULL,
                \`accession_number\` varchar(16) NULL,
                \`patient_id\` varchar(64) NULL,
                \`state\` enum (
                    'queued',
                    'querying',
                    'retrieving',
                    'completed',
                    'partially-completed',
                    'failed'
                ) NOT NULL DEFAULT 'queued',
                \`expected_instances\` int UNSIGNED NULL,
                \`completed_instances\` int UNSIGNED NOT NULL DEFAULT '0',
                \`failed_instances\` int UNSIGNED NOT NULL DEFAULT '0',
                \`requested_by\` varchar(64) NOT NULL,
                \`last_error\` varchar(500) NULL,
                \`completed_at\` datetime(3) NULL,
                \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
                \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
                INDEX \`idx_fetch_requests_recipient\` (\`recipient_trust_id\`),
                INDEX \`idx_fetch_requests_source_study\` (\`source_node_id\`, \`study_instance_uid\`, \`state\`),
                PRIMARY KEY (\`id\`)
            ) ENGINE = InnoDB
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `fetch_requests`');
  }
}
