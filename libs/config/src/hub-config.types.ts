// The typed shape of the hub configuration file (config/hub.example.yaml) and the environment.
// The zod schema in hub-config.schema.ts is checked against these types, so the two cannot drift.
import type { CoercionRule } from '@hub/coercion';

export type FolderName = 'emergency' | 'elective';
export const FOLDER_NAMES: readonly FolderName[] = ['emergency', 'elective'];

export type ReceiveMode = 'push' | 'pull' | 'none';

/** A coercion rule as the hub file states it: declared once, with the code that applies it. */
export type { CoercionRule };

export interface NodeConfig {
  aeTitle: string;
  host: string;
  port: number;
  allowedIps: string[];
  send: boolean;
  receive: ReceiveMode;
  maxAssociations: number;
  queryRetrieve: boolean;
  /** The node must connect over DICOM TLS with a certificate the hub's CA signed, carrying certificateSubject. */
  tls: boolean;
  /** e.g. "CN=RVJ_PACS" or "CN=RVJ_PACS,O=North Bristol NHS Trust": each part must match the certificate's subject. */
  certificateSubject?: string;
}

export interface TrustConfig {
  /** ODS code, e.g. RVJ */
  code: string;
  name: string;
  patientIdIssuer: string;
  /** Hub AE titles that address this trust, one per folder. */
  inbound: Partial<Record<FolderName, string>>;
  nodes: NodeConfig[];
  coercion: CoercionRule[];
  /** Find it: the C-FIND key that carries the NHS number at this trust's query/retrieve nodes. */
  nhsNumberKey: 'PatientID' | 'OtherPatientIDs';
}

export interface AgreementConfig {
  from: string;
  to: string;
  folders: FolderName[];
  modalities?: string[];
  /** ISO date (YYYY-MM-DD) or date-time; absent = open-ended. */
  activeFrom?: string;
  activeUntil?: string;
  suspended: boolean;
}

export interface HubSection {
  aeTitle: string;
  /** Interface the DICOM and HTTP listeners bind to. */
  bindAddress: string;
  dicomPort: number;
  httpPort: number;
  storageDir: string;
  stableStudySeconds: number;
  /** Largest PDU the hub accepts from a peer, in bytes. */
  maxPduLength: number;
  /** DICOM TLS (PS3.15 B.1 secure transport) on a port of its own, with mutual authentication. */
  tls?: { port: number; certificate: string; key: string; ca: string };
}

/** Limits on the receiver's DICOM associations: over a cap, A-ASSOCIATE-RJ transient, local limit exceeded. */
export interface DicomSection {
  /** Associations open at once, from every caller. */
  maxAssociations: number;
  /** Associations open at once from one calling AE title. */
  maxAssociationsPerCallingAe: number;
  /** ARTIM: a connection that sends no A-ASSOCIATE-RQ within this is closed. */
  requestTimeoutSeconds: number;
  /** An association that sends no PDU for this long is aborted. */
  idleTimeoutSeconds: number;
}

/** Portal log-in: lockout after repeated failures, and session lifetimes. */
export interface PortalSection {
  /** Failed log-ins in a row that lock the account. */
  maxFailedLogins: number;
  lockoutMinutes: number;
  /** A session unused this long ends. */
  sessionIdleMinutes: number;
  /** A session ends this long after log-in, however busy. */
  sessionMaxHours: number;
  /** Failed log-ins from one address within the window; the next attempt gets 429 until the oldest ages out. */
  loginFailuresPerAddress: number;
  loginFailureWindowMinutes: number;
  /**
   * Express `trust proxy`, so that the audit trail records the client's address from X-Forwarded-For when the
   * portal is behind a reverse proxy: true (any), a hop count, or the proxies' addresses and subnets.
   */
  trustProxy: boolean | number | string | string[];
  /** HTTPS with this certificate and key (PEM file paths); plain HTTP when absent. */
  tls?: { certificate: string; key: string };
}

/** The storage directory's free-space floor: below it the receiver answers 0xA700 and readiness fails. */
export interface StorageSection {
  /** 0: no floor. */
  minFreeMegabytes: number;
}

/** Prometheus metrics and health checks of the apps without a portal: each its own HTTP port (0: none). */
export interface MonitoringSection {
  receiverPort: number;
  routerPort: number;
  forwarderPort: number;
  /** When set, GET /metrics needs `Authorization: Bearer <token>` (health checks stay open). */
  metricsToken?: string;
}

/** DICOMweb (PS3.18) at /dicomweb: browsers on these origins may call it (CORS); none by default. */
export interface DicomwebSection {
  corsOrigins: string[];
}

/** Secure viewer links to one study. */
export interface ViewerLinksSection {
  /** How long a new link lasts unless asked otherwise (never past the folder's retention). */
  defaultHours: number;
  /** A link opens only for a logged-in user as well. */
  requireLogin: boolean;
}

/** Find it: the live C-FIND to each trust's query/retrieve nodes. */
export interface FindItSection {
  /** Each trust's answer is awaited this long; a trust slower than this is reported as timed out. */
  timeoutSeconds: number;
}

export interface FolderSettings {
  retentionHours: number;
  /**
   * Deliver to a push recipient while the study is still arriving, in rounds, instead of after the
   * quiet period (default: emergency yes, elective no).
   */
  forwardWhileReceiving: boolean;
}

export interface HubConfig {
  hub: HubSection;
  folders: Record<FolderName, FolderSettings>;
  dicom: DicomSection;
  portal: PortalSection;
  storage: StorageSection;
  monitoring: MonitoringSection;
  dicomweb: DicomwebSection;
  viewerLinks: ViewerLinksSection;
  findIt: FindItSection;
  trusts: TrustConfig[];
  agreements: AgreementConfig[];
  /**
   * Patients whose studies are sensitive: hidden from clinicians, every access a Security Alert. A bare ID
   * lets the recipient's PACS still pull them over DICOM (with the alert); `dicomPull: withhold` hides them
   * from its C-FIND and C-MOVE as well.
   */
  restrictedPatientIds: Array<string | RestrictedPatientRule>;
}

/** What a recipient PACS may do with a restricted patient's studies over DICOM (C-FIND, C-MOVE). */
export type DicomPullPolicy = 'allow-with-alert' | 'withhold';

export interface RestrictedPatientRule {
  patientId: string;
  dicomPull: DicomPullPolicy;
}

/** Each restricted patient with its DICOM pull policy (a bare ID: allow with an alert). */
export function restrictedPatients(config: Pick<HubConfig, 'restrictedPatientIds'>): Map<string, DicomPullPolicy> {
  return new Map(
    config.restrictedPatientIds.map((rule) =>
      typeof rule === 'string' ? [rule, 'allow-with-alert' as const] : [rule.patientId, rule.dicomPull],
    ),
  );
}

export interface EnvConfig {
  hubConfigPath: string;
  databaseUrl: string;
  redisUrl: string;
  /** Log level for Nest's logger: error, warn, log, debug, verbose. */
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  /** json: one JSON object a line; pretty: coloured text. Unset: pretty on a terminal, else JSON. */
  logFormat?: 'json' | 'pretty';
  /** Prefix of every BullMQ key in Redis; lets several hubs (or test runs) share one Redis. */
  queuePrefix: string;
  /**
   * DATABASE_MIGRATE. boot (default): each app creates the database and runs pending migrations as it starts.
   * skip: migrations are a separate step (`hub db migrate`, the compose `migrate` service) under an account
   * that may change the schema; the apps, on an account with only SELECT/INSERT/UPDATE/DELETE, refuse to start
   * while one is pending.
   */
  databaseMigrate?: 'boot' | 'skip';
}
