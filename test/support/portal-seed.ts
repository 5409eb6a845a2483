// Seeds a hub database with many transfers and audit events, for the portal benchmark (and the listing test at
// a smaller size). Everything is made by INSERT … SELECT inside MariaDB/MySQL from a numbers table, so 100,000
// transfers and 1,000,000 audit events take a minute, not an hour of round trips.
//
// The database must be migrated, with its trusts, nodes and agreements already applied from a configuration
// (start the hub on it once). Seeded studies are spread over every agreement's pair of trusts and both folders;
// their StudyInstanceUIDs start with SEED_UID_ROOT. The seeded audit events are not chained (their hashes are
// made up): `audit verify` fails on a seeded database, which is a benchmark's, never a hospital's.
import { DataSource } from 'typeorm';

export const SEED_UID_ROOT = '2.25.4242';

export interface SeedCounts {
  transfers: number;
  auditEvents: number;
  /** Instances per study (each gets a transfer_instances row). */
  instancesPerStudy?: number;
}

export interface SeedResult {
  transfers: number;
  instances: number;
  auditEvents: number;
  seconds: number;
}

/** The states seeded transfers take, most of them delivered, as on a hub that has run for a while. */
const STATES = ['delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'queued', 'failed', 'expired'];
const MODALITIES = ['CT', 'MR', 'CR', 'US', 'NM', 'XA', 'MG', 'DX'];
/** Audit events as a busy hub writes them: (event, action) pairs. */
const EVENTS: Array<[string, string]> = [
  ['instances-stored', 'DicomInstancesTransferred'],
  ['instances-stored', 'DicomInstancesTransferred'],
  ['instances-delivered', 'DicomInstancesTransferred'],
  ['association-accepted', 'ApplicationActivity'],
  ['study-routed', 'DicomInstancesTransferred'],
  ['transfer-delivered', 'DicomInstancesTransferred'],
  ['transfers-queried', 'Query'],
  ['transfer-viewed', 'DicomInstancesAccessed'],
];

function sqlList(values: string[]): string {
  return values.map((value) => `'${value.replace(/'/g, "''")}'`).join(', ');
}

/** Studies, transfers, instances, transfer_instances and audit events, in batches of `batch` rows. */
export async function seedPortalData(dataSource: DataSource, counts: SeedCounts, batch = 100_000): Promise<SeedResult> {
  const started = process.hrtime.bigint();
  const perStudy = counts.instancesPerStudy ?? 2;
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const pairs = (await runner.query(
      `SELECT a.id AS agreementId, a.from_trust_id AS fromTrust, a.to_trust_id AS toTrust,
              (SELECT n.id FROM nodes n WHERE n.trust_id = a.from_trust_id ORDER BY n.ae_title LIMIT 1) AS nodeId,
              COALESCE(t.inbound_emergency_ae, t.inbound_elective_ae, 'SEED_AE') AS calledAe
         FROM agreements a JOIN trusts t ON t.id = a.to_trust_id
        ORDER BY a.id`,
    )) as Array<{ agreementId: string; fromTrust: string; toTrust: string; nodeId: string | null; calledAe: string }>;
    if (pairs.length === 0 || pairs.some((pair) => !pair.nodeId)) {
      throw new Error('seed: the database needs agreements whose sending trusts have a node (apply a configuration)');
    }
    const largest = Math.max(counts.transfers, counts.auditEvents, 1);
    await runner.query('DROP TEMPORARY TABLE IF EXISTS seed_numbers');
    await runner.query('CREATE TEMPORARY TABLE seed_numbers (n INT UNSIGNED PRIMARY KEY) ENGINE = InnoDB');
    const digits =
      '(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 ' +
      'UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';
    const places = Math.max(1, Math.ceil(Math.log10(largest + 1)));
    const from = Array.from({ length: places }, (_, i) => `${digits} d${i}`).join(' CROSS JOIN ');
    const sum = Array.from({ length: places }, (_, i) => `d${i}.d * ${10 ** i}`).join(' + ');
    await runner.query(`INSERT INTO seed_numbers (n) SELECT ${sum} AS n FROM ${from} HAVING n < ?`, [largest]);
    await runner.query('DROP TEMPORARY TABLE IF EXISTS seed_pairs');
    await runner.query(
      `CREATE TEMPORARY TABLE seed_pairs (k INT UNSIGNED PRIMARY KEY, agreement_id CHAR(36), from_trust CHAR(36),
         to_trust CHAR(36), node_id CHAR(36), called_ae VARCHAR(16)) ENGINE = InnoDB`,
    );
    for (const [k, pair] of pairs.entries()) {
      await runner.query('INSERT INTO seed_pairs VALUES (?, ?, ?, ?, ?, ?)', [
        k,
        pair.agreementId,
        pair.fromTrust,
        pair.toTrust,
        pair.nodeId,
        pair.calledAe,
      ]);
    }
    const pairCount = pairs.length;
    const days = 120;
    for (let low = 0; low < counts.transfers; low += batch) {
      const high = Math.min(counts.transfers, low + batch);
      // A study n was received n × (120 days / count) ago, so the newest are the lowest numbers.
      await runner.query(
        `INSERT INTO studies (id, sender_node_id, sender_trust_id, recipient_trust_id, folder, called_ae_title,
            study_instance_uid, patient_id, issuer_of_patient_id, patient_name, study_date, accession_number,
            study_description, study_id, state, restricted, first_received_at, last_received_at, completed_at,
            instance_count, total_bytes, modalities_in_study)
         SELECT UUID(), p.node_id, p.from_trust, p.to_trust, IF(s.n % 4 = 0, 'emergency', 'elective'), p.called_ae,
                CONCAT('${SEED_UID_ROOT}.', s.n), CONCAT('SP', LPAD(s.n % 30000, 6, '0')), 'SEED',
                CONCAT('SEED^PATIENT', s.n % 30000), DATE_FORMAT(s.received, '%Y%m%d'), CONCAT('A', s.n),
                CONCAT('Seeded study ', s.n), s.n, 'routed', s.n % 997 = 0, s.received, s.received, s.received,
                ${perStudy}, ${perStudy} * 524288, ELT(1 + s.n % ${MODALITIES.length}, ${sqlList(MODALITIES)})
           FROM (SELECT n, NOW(3) - INTERVAL (n * ${days * 86400} DIV ?) SECOND AS received
                   FROM seed_numbers WHERE n >= ? AND n < ?) s
           JOIN seed_pairs p ON p.k = s.n % ${pairCount}`,
        [counts.transfers, low, high],
      );
      await runner.query(
        `INSERT INTO transfers (id, study_id, agreement_id, sender_trust_id, recipient_trust_id, folder, state,
            expires_at, has_report, attempts, last_error, delivered_at, created_at, updated_at)
         SELECT UUID(), st.id, p.agreement_id, st.sender_trust_id, st.recipient_trust_id, st.folder,
                ELT(1 + st.n % ${STATES.length}, ${sqlList(STATES)}),
                st.first_received_at + INTERVAL IF(st.folder = 'emergency', 7, 30) DAY, st.n % 3 = 0,
                1 + st.n % 2, IF(st.n % ${STATES.length} = ${STATES.indexOf('failed')},
                  'C-STORE refused: 0xA700 Out of resources', NULL),
                IF(st.n % ${STATES.length} < 5, st.first_received_at + INTERVAL 40 SECOND, NULL),
                st.first_received_at, st.first_received_at
           FROM (SELECT s.*, CAST(s.study_id AS UNSIGNED) AS n FROM studies s
                  WHERE s.study_instance_uid LIKE '${SEED_UID_ROOT}.%'
                    AND CAST(s.study_id AS UNSIGNED) >= ? AND CAST(s.study_id AS UNSIGNED) < ?) st
           JOIN seed_pairs p ON p.k = st.n % ${pairCount}`,
        [low, high],
      );
      for (let i = 0; i < perStudy; i++) {
        await runner.query(
          `INSERT INTO instances (study_id, series_instance_uid, sop_instance_uid, sop_class_uid, transfer_syntax_uid,
              modality, series_number, instance_number, size_bytes, storage_path, received_at, audited_at)
           SELECT s.id, CONCAT(s.study_instance_uid, '.1'), CONCAT(s.study_instance_uid, '.1.', ${i + 1}),
                  '1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.1.2.1', s.modalities_in_study, 1, ${i + 1}, 524288,
                  CONCAT('seed/', s.id, '/', ${i + 1}, '.dcm'), s.first_received_at, s.first_received_at
             FROM studies s
            WHERE s.study_instance_uid LIKE '${SEED_UID_ROOT}.%'
              AND CAST(s.study_id AS UNSIGNED) >= ? AND CAST(s.study_id AS UNSIGNED) < ?`,
          [low, high],
        );
      }
      await runner.query(
        `INSERT INTO transfer_instances (transfer_id, instance_id, state, delivered_at)
         SELECT t.id, i.id, IF(t.state = 'delivered', 'delivered', 'pending'), t.delivered_at
           FROM studies s JOIN transfers t ON t.study_id = s.id JOIN instances i ON i.study_id = s.id
          WHERE s.study_instance_uid LIKE '${SEED_UID_ROOT}.%'
            AND CAST(s.study_id AS UNSIGNED) >= ? AND CAST(s.study_id AS UNSIGNED) < ?`,
        [low, high],
      );
    }
    const trustCodes = (await runner.query('SELECT code FROM trusts ORDER BY code')) as Array<{ code: string }>;
    const codes = sqlList(trustCodes.map((trust) => trust.code));
    for (let low = 0; low < counts.auditEvents; low += batch) {
      const high = Math.min(counts.auditEvents, low + batch);
      await runner.query(
        `INSERT INTO audit_events (occurred_at, action, event, outcome, actor_ae_title, actor_address, actor_user,
            source_trust, destination_trust, patient_id, study_instance_uid, detail, prev_hash, hash)
         SELECT NOW(3) - INTERVAL (n * ${days * 86400} DIV ?) SECOND,
                ELT(1 + n % ${EVENTS.length}, ${sqlList(EVENTS.map(([, action]) => action))}),
                ELT(1 + n % ${EVENTS.length}, ${sqlList(EVENTS.map(([event]) => event))}), 0,
                IF(n % 2 = 0, CONCAT('SEED_AE', n % 20), NULL), '10.1.2.3',
                IF(n % 2 = 1, CONCAT('seed-user-', n % 50), NULL),
                ELT(1 + n % ${trustCodes.length}, ${codes}), ELT(1 + (n + 1) % ${trustCodes.length}, ${codes}),
                CONCAT('SP', LPAD(n % 30000, 6, '0')), CONCAT('${SEED_UID_ROOT}.', n % ?),
                JSON_OBJECT('seeded', TRUE, 'n', n), SHA2(CONCAT('prev', n), 256), SHA2(CONCAT('seed', n), 256)
           FROM seed_numbers WHERE n >= ? AND n < ?`,
        [counts.auditEvents, Math.max(counts.transfers, 1), low, high],
      );
    }
    await runner.query('ANALYZE TABLE studies, transfers, instances, transfer_instances, audit_events');
    return {
      transfers: counts.transfers,
      instances: counts.transfers * perStudy,
      auditEvents: counts.auditEvents,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  } finally {
    await runner.query('DROP TEMPORARY TABLE IF EXISTS seed_numbers').catch(() => undefined);
    await runner.query('DROP TEMPORARY TABLE IF EXISTS seed_pairs').catch(() => undefined);
    await runner.release();
  }
}
