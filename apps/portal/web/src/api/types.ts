// The API's bodies as the web app reads them. test/portal-web-api-types.ts checks at compile time that these
// match the server's own view types, so a change on either side that breaks the other fails `npm run check`.

export type Permission =
  | 'transfers:read'
  | 'quarantine:read'
  | 'quarantine:manage'
  | 'agreements:read'
  | 'agreements:manage'
  | 'audit:read'
  | 'studies:restrict'
  | 'users:manage'
  | 'fetches:read'
  | 'fetches:request'
  | 'operations:read'
  | 'transfers:manage'
  | 'operations:echo'
  | 'dicomweb:read'
  | 'viewer-links:manage'
  | 'find-it:search';

export type Role = 'operator' | 'trust-admin' | 'governance' | 'clinician';

export interface SessionUser {
  username: string;
  role: string;
  trust: string | null;
  permissions: Permission[];
}

export interface LoginResult {
  token: string;
  tokenType: 'Bearer';
  expiresAt: string;
  idleTimeoutSeconds: number;
  user: SessionUser;
  notice: string;
}

export const TRANSFER_STATES = [
  'queued',
  'delivering',
  'delivered',
  'partially-delivered',
  'failed',
  'awaiting-pull',
  'suspended',
  'expired',
  'cancelled',
] as const;
export type TransferState = (typeof TRANSFER_STATES)[number];

export const FOLDERS = ['emergency', 'elective'] as const;
export type Folder = (typeof FOLDERS)[number];

export interface TransferListItem {
  id: string;
  studyId: string;
  sender: string;
  recipient: string;
  folder: string;
  state: string;
  instances: number;
  delivered: number;
  hasReport: boolean;
  reportReceivedAt: string | null;
  expiresAt: string;
  createdAt: string;
  lastError: string | null;
  study: { modalities: string[]; studyDate: string | null; studyDescription: string | null };
}

export const TRANSFER_SORTS = ['received', 'exchange', 'folder', 'state', 'studyDate', 'report', 'expires'] as const;
export type TransferSort = (typeof TRANSFER_SORTS)[number];

export interface TransferPage {
  page: number;
  pageSize: number;
  total: number;
  sort: TransferSort;
  order: 'asc' | 'desc';
  items: TransferListItem[];
}

export interface AuditEvent {
  id: string;
  occurredAt: string;
  action: string;
  event: string;
  outcome: number;
  actorUser: string | null;
  actorAeTitle: string | null;
  actorAddress: string | null;
  sourceTrust: string | null;
  destinationTrust: string | null;
  patientId: string | null;
  studyInstanceUid: string | null;
  detail: Record<string, unknown>;
}

export interface TransferDetail extends TransferListItem {
  lastError: string | null;
  deliveredAt: string | null;
  flag: string | null;
  study: {
    studyInstanceUid: string;
    patientId: string | null;
    issuerOfPatientId: string | null;
    accessionNumber: string | null;
    studyDate: string | null;
    studyDescription: string | null;
    modalities: string[];
    restricted: boolean;
  };
  timeline: AuditEvent[];
}

/** Nest's error body: every 4xx/5xx of the API. */
/** Every error the API answers has this shape (the server's ApiErrorFilter). */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /** The request field at fault, when the error is about one field. */
  field?: string;
}

export interface QuarantinedStudy {
  studyId: string;
  studyInstanceUid: string;
  sender: string;
  recipient: string;
  folder: string;
  reason: string;
  instances: number;
  firstReceivedAt: string;
}

export interface Agreement {
  id: string;
  from: string;
  to: string;
  folders: string[];
  modalities: string[] | null;
  activeFrom: string | null;
  activeUntil: string | null;
  suspended: boolean;
  active: boolean;
  source: string;
  inForce: boolean;
}

export interface Account {
  username: string;
  role: Role;
  trust: string | null;
  disabled: boolean;
  lockedUntil: string | null;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface AuditPage {
  page: number;
  pageSize: number;
  total: number;
  items: AuditEvent[];
}

export interface Accessor {
  actor: string;
  kind: 'user' | 'node';
  trusts: string[];
  events: string[];
  count: number;
  first: string;
  last: string;
}

export interface PatientAccessReport {
  patientId: string;
  accessors: Accessor[];
  events: AuditEvent[];
}

export const AUDIT_ACTIONS = [
  'ApplicationActivity',
  'BeginTransferringDicomInstances',
  'DicomInstancesTransferred',
  'DicomInstancesAccessed',
  'Query',
  'StudyDeleted',
  'UserAuthentication',
  'SecurityAlert',
] as const;

export const FETCH_STATES = ['queued', 'querying', 'retrieving', 'completed', 'partially-completed', 'failed'] as const;

export interface FetchRequest {
  id: string;
  sourceTrustId: string;
  sourceNodeId: string;
  recipientTrustId: string;
  folder: Folder;
  studyInstanceUid: string | null;
  accessionNumber: string | null;
  patientId: string | null;
  state: (typeof FETCH_STATES)[number];
  expectedInstances: number | null;
  completedInstances: number;
  failedInstances: number;
  requestedBy: string;
  lastError: string | null;
  completedAt: string | null;
  createdAt: string;
  from: string;
  to: string;
  sourceAeTitle: string;
}

export type AuditVerification =
  { intact: true; events: number } | { intact: false; events: number; eventId: string | null; problem: string };

export interface PushNodeView {
  aeTitle: string;
  trust: string;
  host: string;
  port: number;
  queue: { waiting: number; active: number; delayed: number; failed: number };
  oldestWaiting: { transferId: string; folder: string; state: string; since: string } | null;
  failuresLastHour: number;
}

/** POST /api/transfers/:id/retry */
export interface TransferRetry {
  transferId: string;
  state: TransferState;
  instancesRequeued: number;
  job: 'promoted' | 'queued' | 'already-waiting' | 'running';
}

/** POST /api/transfers/:id/cancel */
export interface TransferCancel {
  transferId: string;
  state: TransferState;
  previousState: TransferState;
}

/** POST /api/operations/nodes/:aeTitle/echo */
export interface NodeEcho {
  aeTitle: string;
  host: string;
  port: number;
  /** The hub's AE title, which it calls from: the one the node must allow. */
  callingAeTitle: string;
  ok: boolean;
  result: 'success' | 'status' | 'refused' | 'rejected' | 'aborted' | 'timeout' | 'network' | 'not-answered';
  status: number | null;
  roundTripMs: number;
  message: string;
  checkedAt: string;
}

export interface OperationsView {
  checkedAt: string;
  nodes: PushNodeView[];
  storage: { freeBytes: number; totalBytes: number } | null;
}
