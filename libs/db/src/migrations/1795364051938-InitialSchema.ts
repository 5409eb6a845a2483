import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1795364051938 implements MigrationInterface {
  name = 'InitialSchema1795364051938';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE \`agreements\` (
                \`id\` varchar(36) NOT NULL,
                \`from_trust_id\` char(36) NOT NULL,
                \`to_trust_id\` char(36) NOT NULL,
                \`folders\` json NOT NULL,
                \`modalities\` json NULL,
                \`active_from\` datetime(3) NULL,
                \`active_until\` datetime(3) NULL,
                \`suspended\` tinyint NOT NULL DEFAULT 0,
                \`active\` tinyint NOT NULL DEFAULT 1,
                \`source\` enum ('config', 'api') NOT NULL DEFAULT 'config',
                \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
                \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
                INDEX \`idx_agreements_to\` (\`to_trust_id\`),
                UNIQUE INDEX \`uq_agreements_pair\` (\`from_trust_id\`, \`to_trust_id\`),
                PRIMARY KEY (\`id\`)
            ) ENGINE = InnoDB
        `);
    await queryRunner.query(`
            CREATE TABLE \`audit_events\` (
                \`id\` bigint UNSIGNED NOT NULL AUTO_INCREMENT,
                \`occurred_at\` datetime(3) NOT NULL,
                \`action\` varchar(48) NOT NULL,
                \`event\` varchar(48) NOT NULL,
                \`outcome\` tinyint UNSIGNED NOT NULL,
                \`actor_ae_title\` varchar(16) NULL,
                \`actor_address\` varchar(64) NULL,
                \`actor_user\` varchar(128) NULL,
                \`source_trust\` varchar(16) NULL,
                \`destination_trust\` varchar(16) NULL,
                \`patient_id\` varchar(64) NULL,
                \`study_instance_uid\` varchar(64) NULL,
                \`detail\` json NOT NULL,
                \`prev_hash\` char(64) NOT NULL,
                \`hash\` char(64) NOT NULL,
                INDEX \`idx_audit_actor_ae\` (\`actor_ae_title\`),
                INDEX \`idx_audit_action\` (\`action\`, \`occurred_at\`),
                INDEX \`idx_audit_study\` (\`study_instance_uid\`, \`occurred_at\`),
                INDEX \`idx_audit_patient\` (\`patient_id\`, \`occurred_at\`),
                INDEX \`idx_audit_time\` (\`occurred_at\`),
                PRIMARY KEY (\`id\`)
            ) ENGINE = InnoDB
        `);
    await queryRunner.query(`
            CREATE TABLE \`audit_chain_head\` (
                \`id\` tinyint UNSIGNED NOT NULL AUTO_INCREMENT,
                \`last_hash\` char(64) NOT NULL,
                \`last_event_id\` bigint UNSIGNED NOT NULL DEFAULT '0',
                PRIMARY KEY (\`id\`)
            ) ENGINE = InnoDB
        `);
    await queryRunner.query(`
            CREATE TABLE \`instances\` (
                \`id\` bigint UNSIGNED NOT NULL AUTO_INCREMENT,
                \`study_id\` char(36) NOT NULL,
                \`series_instance_uid\` varchar(64) NOT NULL,
                \`sop_instance_uid\` varchar(64) NOT NULL,
                \`sop_class_uid\` varchar(64) NOT NULL,
                \`transfer_syntax_uid\` varchar(64) NOT NULL,
                \`modality\` varchar(16) NULL,
                \`series_number\` int NULL,
                \`instance_number\` int NULL,
                \`size_bytes\` bigint UNSIGNED NOT NULL,
                \`storage_path\` varchar(400) NOT NULL,
                \`purged_at\` datetime(3) NULL,
                \`received_at\` datetime(3) NOT NULL,
                INDEX \`idx_instances_study_received\` (\`study_id\`, \`received_at\`),
                UNIQUE INDEX \`uq_instances_study_sop\` (\`study_id\`, \`sop_instance_uid\`),
                PRIMARY KEY (\`id\`)
            ) ENGINE = InnoDB
        `);
    await queryRunner.query(`
            CREATE TABLE \`nodes\` (
                \`id\` varchar(36) NOT NULL,
                \`trust_id\` char(36) NOT NULL,
                \`ae_title\` varchar(16) NOT NULL,
                \`host\` varchar(255) NOT NULL,
                \`port\` int UNSIGNED NOT NULL,
                \`allowed_ips\` json NOT NULL,
                \`can_send\` tinyint NOT NULL,
                \`receive_mode\` enum ('push', 'pull', 'none') NOT NULL,
                \`max_associations\` smallint UNSIGNED NOT NULL,
                \`query_retrieve\` tinyint NOT NULL,
                \`active\` tinyint NOT NULL DEFAULT 1,
                \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
                \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
                INDEX \`idx_nodes_trust\` (\`trust_id\`),
                UNIQUE INDEX \`IDX_eae2e428481336a3da40a964df\` (\`ae_title\`),
                PRIMARY KEY (\`id\`)
            ) ENGINE = InnoDB
        `);
    await queryRunner.query(`
            CREATE TABLE \`studies\` (
                \`id\` varchar(36) NOT NULL,
                \`sender_node_id\` char(36) NOT NULL,
                \`sender_trust_id\` char(36) NOT NULL,
                \`recipient_trust_id\` char(36) NOT NULL,
                \`folder\` enum ('emergency', 'elective') NOT NULL,
                \`called_ae_title\` varchar(16) NOT NULL,
                \`study_instance_uid\` varchar(64) NOT NULL,
                \`patient_id\` varchar(64) NULL,
                \`issuer_of_patient_id\` varchar(64) NULL,
                \`patient_name\` varchar(324) NULL,
                \`patient_birth_date\` varchar(8) NULL,
                \`patient_sex\` varchar(16) NULL,
                \`study_date\` varchar(8) NULL,
                \`study_time\` varchar(16) NULL,
                \`accession_number\` varchar(16) NULL,
                \`study_description\` varchar(64) NULL,
                \`study_id\` varchar(16) NULL,
                \`state\` enum (
                    'receiving',
                    'complete',
                    'routed',
                    'quarantined',
                    'discarded',
                    'expired'
                ) NOT NULL DEFAULT 'receiving',
                \`quarantine_reason\` varchar(255) NULL,
                \`restricted\` tinyint NOT NULL DEFAULT 0,
                \`first_received_at\` datetime(3) NOT NULL,
                \`last_received_at\` datetime(3) NOT NULL,
                \`completed_at\` datetime(3) NULL,
                \`instance_count\` int UNSIGNED NOT NULL DEFAULT '0',
                \`total_bytes\` bigint UNSIGNED NOT NULL DEFAULT '0',
                \`modalities_in_study\` varchar(64) NULL,
                \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
                \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
                INDEX \`idx_studies_sender_trust\` (\`sender_trust_id\`),
                INDEX \`idx_studies_recipient_trust\` (\`recipient_trust_id\`),
                INDEX \`idx_studies_uid\` (\`study_instance_uid\`),
                INDEX \`idx_studies_patient\` (\`patient_id\`),
                INDEX \`idx_studies_accession\` (\`accession_number\`),
                INDEX \`idx_studies_state\` (\`state\`, \`last_received_at\`),
                UNIQUE INDEX \`uq_studies_exchange\` (
                    \`sender_node_id\`,
                    \`recipient_trust_id\`,
                    \`folder\`,
                    \`study_instance_uid\`
                ),
                PRIMARY KEY (\`id\`)
            ) ENGINE = InnoDB
        `);
    await queryRunner.query(`
            CREATE TABLE \`transfers\` (
                \`id\` varchar(36) NOT NULL,
                \`study_id\` char(36) NOT NULL,
                \`agreement_id\` char(36) NOT NULL,
                \`sender_trust_id\` char(36) NOT NULL,
                \`recipient_trust_id\` char(36) NOT NULL,
                \`folder\` enum ('emergency', 'elective') NOT NULL,
                \`state\` enum (
                    'queued',
                    'delivering',
                    'delivered',
                    'partially-delivered',
                    'failed',
                    'awaiting-pull',
                    'suspended',
                    'expired'
                ) NOT NULL,
                \`expires_at\` datetime(3) NOT NULL,
                \`has_report\` tinyint NOT NULL DEFAULT 0,
                \`report_received_at\` datetime(3) NULL,
                \`attempts\` int UNSIGNED NOT NULL DEFAULT '0',
                \`last_error\` varchar(500) NULL,
                \`delivered_at\` datetime(3) NULL,
                \`expired_at\` datetime(3) NULL,
                \`flag\` varchar(255) NULL,
                \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
                \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
                INDEX \`idx_transfers_sender\` (\`sender_trust_id\`),
                INDEX \`idx_transfers_recipient\` (\`recipient_trust_id\`),
                INDEX \`idx_transfers_state_expiry\` (\`state\`, \`expires_at\`),
                UNIQUE INDEX \`uq_transfers_study\` (\`study_id\`),
                PRIMARY KEY (\`id\`)
            ) ENGINE = InnoDB
        `);
    await queryRunner.query(`
            CREATE TABLE \`transfer_instances\` (
                \`id\` bigint UNSIGNED NOT NULL AUTO_INCREMENT,
                \`transfer_id\` char(36) NOT NULL,
                \`instance_id\` bigint UNSIGNED NOT NULL,
                \`state\` enum ('pending', 'delivered', 'failed') NOT NULL DEFAULT 'pending',
                \`last_status\` int UNSIGNED NULL,
                \`last_error\` varchar(500) NULL,
                \`delivered_at\` datetime(3) NULL,
                UNIQUE INDEX \`uq_transfer_instances\` (\`transfer_id\`, \`instance_id\`),
                PRIMARY KEY (\`id\`)
            ) ENGINE = InnoDB
        `);
    await queryRunner.query(`
            CREATE TABLE \`trusts\` (
                \`id\` varchar(36) NOT NULL,
                \`code\` varchar(16) NOT NULL,
                \`name\` varchar(200) NOT NULL,
                \`patient_id_issuer\` varchar(64) NOT NULL,
                \`inbound_emergency_ae\` varchar(16) NULL,
                \`inbound_elective_ae\` varchar(16) NULL,
                \`coercion\` json NOT NULL,
                \`active\` tinyint NOT NULL DEFAULT 1,
                \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
                \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
                UNIQUE INDEX \`IDX_73530ce05370190e88fdf27616\` (\`code\`),
                UNIQUE INDEX \`IDX_9db745efb7ff1e57ce223fc310\` (\`inbound_emergency_ae\`),
                UNIQUE INDEX \`IDX_2e0b7ea310b71ae90e955a1d9c\` (\`inbound_elective_ae\`),
                PRIMARY KEY (\`id\`)
            ) ENGINE = InnoDB
        `);
    // The audit chain starts from a fixed genesis hash; the audit writer locks this row to append.
    await queryRunner.query(
      `INSERT INTO \`audit_chain_head\` (\`id\`, \`last_hash\`, \`last_event_id\`) VALUES (1, REPEAT('0', 64), 0)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX \`IDX_2e0b7ea310b71ae90e955a1d9c\` ON \`trusts\`
        `);
    await queryRunner.query(`
            DROP INDEX \`IDX_9db745efb7ff1e57ce223fc310\` ON \`trusts\`
        `);
    await queryRunner.query(`
            DROP INDEX \`IDX_73530ce05370190e88fdf27616\` ON \`trusts\`
        `);
    await queryRunner.query(`
            DROP TABLE \`trusts\`
        `);
    await queryRunner.query(`
            DROP INDEX \`uq_transfer_instances\` ON \`transfer_instances\`
        `);
    await queryRunner.query(`
            DROP TABLE \`transfer_instances\`
        `);
    await queryRunner.query(`
            DROP INDEX \`uq_transfers_study\` ON \`transfers\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_transfers_state_expiry\` ON \`transfers\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_transfers_recipient\` ON \`transfers\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_transfers_sender\` ON \`transfers\`
        `);
    await queryRunner.query(`
            DROP TABLE \`transfers\`
        `);
    await queryRunner.query(`
            DROP INDEX \`uq_studies_exchange\` ON \`studies\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_studies_state\` ON \`studies\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_studies_accession\` ON \`studies\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_studies_patient\` ON \`studies\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_studies_uid\` ON \`studies\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_studies_recipient_trust\` ON \`studies\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_studies_sender_trust\` ON \`studies\`
        `);
    await queryRunner.query(`
            DROP TABLE \`studies\`
        `);
    await queryRunner.query(`
            DROP INDEX \`IDX_eae2e428481336a3da40a964df\` ON \`nodes\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_nodes_trust\` ON \`nodes\`
        `);
    await queryRunner.query(`
            DROP TABLE \`nodes\`
        `);
    await queryRunner.query(`
            DROP INDEX \`uq_instances_study_sop\` ON \`instances\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_instances_study_received\` ON \`instances\`
        `);
    await queryRunner.query(`
            DROP TABLE \`instances\`
        `);
    await queryRunner.query(`
            DROP TABLE \`audit_chain_head\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_audit_time\` ON \`audit_events\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_audit_patient\` ON \`audit_events\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_audit_study\` ON \`audit_events\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_audit_action\` ON \`audit_events\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_audit_actor_ae\` ON \`audit_events\`
        `);
    await queryRunner.query(`
            DROP TABLE \`audit_events\`
        `);
    await queryRunner.query(`
            DROP INDEX \`uq_agreements_pair\` ON \`agreements\`
        `);
    await queryRunner.query(`
            DROP INDEX \`idx_agreements_to\` ON \`agreements\`
        `);
    await queryRunner.query(`
            DROP TABLE \`agreements\`
        `);
  }
}
