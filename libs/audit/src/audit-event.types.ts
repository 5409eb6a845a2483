/** PS3.15 A.5 audit messages the hub writes. */
export enum AuditAction {
  ApplicationActivity = 'ApplicationActivity',
  BeginTransferringDicomInstances = 'BeginTransferringDicomInstances',
  DicomInstancesTransferred = 'DicomInstancesTransferred',
  DicomInstancesAccessed = 'DicomInstancesAccessed',
  Query = 'Query',
  StudyDeleted = 'StudyDeleted',
  UserAuthentication = 'UserAuthentication',
  SecurityAlert = 'SecurityAlert',
}

/** PS3.15 EventOutcomeIndicator. */
export enum AuditOutcome {
  Success = 0,
  MinorFailure = 4,
  SeriousFailure = 8,
  MajorFailure = 12,
}

export interface AuditActor {
  aeTitle?: string;
  address?: string;
  user?: string;
}

interface EventBase {
  outcome: AuditOutcome;
  actor: AuditActor;
  sourceTrust?: string;
  destinationTrust?: string;
  patientId?: string;
  studyInstanceUid?: string;
}

/**
 * Every audit event by name, with its PS3.15 action and its detail. Adding an event here is the
 * only way to write one, so the audit trail stays a typed, queryable record.
 */
export interface AuditEventMap {
  'association-accepted': EventBase & { detail: { calledAeTitle: string; folder?: string } };
  'association-rejected': EventBase & {
    detail: { calledAeTitle: string; callingAeTitle: string; reason: string; rejectReasonCode: number };
  };
  'association-aborted': EventBase & { detail: { calledAeTitle: string; reason: string } };
  'instances-stored': EventBase & {
    detail: {
      calledAeTitle: string;
      folder: string;
      stored: number;
      refused: number;
      bytes: number;
      sopClasses: string[];
      /** Each instance this event covers: an association is audited every second, each instance once. */
      sopInstanceUids: string[];
      /** Written by the reconciliation for instances acknowledged before a crash that left them unaudited. */
      recovered?: boolean;
    };
  };
  'instance-refused': EventBase & {
    detail: { calledAeTitle: string; sopInstanceUid?: string; status: string; reason: string };
  };
  'instances-lost': EventBase & { detail: { instanceIds: string[]; storagePaths: string[] } };
  'study-completed': EventBase & { detail: { studyId: string; instances: number; bytes: number } };
  'study-routed': EventBase & {
    detail: {
      studyId: string;
      transferId: string;
      folder: string;
      state: string;
      expiresAt: string;
      instances: number;
    };
  };
  'study-quarantined': EventBase & { detail: { studyId: string; folder: string; reason: string } };
  'late-instances-joined': EventBase & {
    detail: { studyId: string; transferId: string; instances: number; sopClasses: string[]; redeliver: boolean };
  };
  'quarantine-released': EventBase & { detail: { studyId: string } };
  'quarantine-discarded': EventBase & { detail: { studyId: string; instancesPurged: number } };
  'study-deleted': EventBase & {
    detail: { studyId: string; transferId?: string; reason: 'expired' | 'discarded'; instancesPurged: number };
  };
  'delivery-attempted': EventBase & {
    detail: {
      transferId: string;
      node: string;
      instances: number;
      delivered: number;
      failed: number;
      state: string;
      /** A round sent while the study was still arriving. */
      whileReceiving?: boolean;
      error?: string;
      /** Instances stored as Explicit VR LE that went out as Implicit VR LE, all the recipient accepted. */
      convertedToImplicitVrLittleEndian?: number;
    };
  };
  /** A delivery made in rounds while its study arrived, settled once the study was complete. */
  'delivery-finished': EventBase & {
    detail: { transferId: string; node: string; delivered: number; failed: number; state: string };
  };
  'query-performed': EventBase & {
    detail: {
      calledAeTitle: string;
      model: string;
      level: string;
      keys: Record<string, string>;
      matches: number;
      status: string;
    };
  };
  'instances-retrieved': EventBase & {
    detail: {
      transferId: string;
      destination: string;
      instances: number;
      completed: number;
      failed: number;
      warning: number;
      state: string;
      error?: string;
    };
  };
  'retrieve-refused': EventBase & { detail: { destination: string; reason: string; level: string } };
  'fetch-requested': EventBase & {
    detail: {
      fetchId?: string;
      folder: string;
      accessionNumber?: string;
      sourceNode?: string;
      refused?: string;
    };
  };
  /** A DICOM TLS handshake failed: no certificate, one the hub's CA did not sign, or no common protocol. */
  'tls-failure': EventBase & { detail: { reason: string } };
  /** The source named the patient of a study fetched by StudyInstanceUID; the actor is who asked for it. */
  'fetch-identified': EventBase & { detail: { fetchId: string; sourceNode: string } };
  'fetch-finished': EventBase & {
    detail: {
      fetchId: string;
      state: string;
      expected: number | null;
      completed: number;
      failed: number;
      status?: string;
      error?: string;
    };
  };
  'transfer-suspended': EventBase & { detail: { transferId: string; reason: string } };
  'transfer-resumed': EventBase & { detail: { transferId: string } };
  'config-changed': EventBase & {
    detail: {
      entity: 'trust' | 'node' | 'agreement';
      key: string;
      change: 'created' | 'updated' | 'removed';
      fields: string[];
    };
  };
  'application-started': EventBase & { detail: { app: string; version: string } };
  'user-logged-in': EventBase & { detail: { role: string; sessionExpiresAt: string } };
  'user-login-failed': EventBase & {
    detail: { reason: 'unknown user' | 'wrong password' | 'locked' | 'disabled'; failures?: number };
  };
  'user-logged-out': EventBase & { detail: { reason: 'logout' } };
  /** The user acknowledged the notice that access is audited; noticeSha256 names the exact text shown. */
  'access-notice-acknowledged': EventBase & { detail: { noticeSha256: string } };
  'account-locked': EventBase & { detail: { username: string; failures: number; lockedUntil: string } };
  /** One address failed to log in too often: its log-ins get 429 for a while (audited once as it starts). */
  'login-rate-limited': EventBase & { detail: { failures: number; windowMinutes: number; retryAfterSeconds: number } };
  'user-changed': EventBase & {
    detail: {
      username: string;
      change: 'created' | 'disabled' | 'enabled' | 'password-changed';
      role?: string;
      trust?: string | null;
    };
  };
  'transfers-queried': EventBase & {
    /** `results` are the rows shown (this page), `total` every transfer the filter matched. */
    detail: { filter: Record<string, string>; results: number; page?: number; pageSize?: number; total?: number };
  };
  'transfer-viewed': EventBase & { detail: { transferId: string; studyId: string } };
  'quarantine-listed': EventBase & { detail: { results: number } };
  'audit-searched': EventBase & {
    detail: { filter: Record<string, string>; results: number; format: 'json' | 'csv' | 'access-report' };
  };
  /** Someone had the hash chain of the audit trail checked (the portal's button, GET /api/audit/chain). */
  'audit-chain-verified': EventBase & {
    detail: { intact: boolean; events: number; eventId?: string | null; problem?: string };
  };
  'restricted-study-accessed': EventBase & {
    detail: {
      studyId: string;
      transferId?: string;
      how: 'listed' | 'viewed' | 'refused' | 'released' | 'discarded' | 'queried' | 'retrieved';
    };
  };
  'study-restriction-changed': EventBase & { detail: { studyId: string; restricted: boolean } };
  /** A person asked for a transfer's delivery to run now ("Retry now"); instancesRequeued had been refused. */
  'transfer-retried': EventBase & {
    detail: { transferId: string; previousState: string; instancesRequeued: number; job: string };
  };
  /** A person stopped a transfer ("Cancel"): it is not delivered or pulled again. */
  'transfer-cancelled': EventBase & { detail: { transferId: string; previousState: string } };
  /** An operator had the hub C-ECHO a node ("C-ECHO now"). */
  'node-echoed': EventBase & {
    detail: { node: string; result: string; status?: number; roundTripMs: number; error?: string };
  };
  /** A DICOMweb search (QIDO-RS) by a portal user or through a viewer link. */
  'dicomweb-searched': EventBase & {
    detail: {
      level: 'study' | 'series' | 'instance';
      filter: Record<string, string>;
      results: number;
      linkId?: string;
    };
  };
  /** A DICOMweb retrieve (WADO-RS): instances, metadata, frames or bulk data of one study. */
  'dicomweb-retrieved': EventBase & {
    detail: {
      studyId: string;
      transferId: string;
      what: 'instances' | 'metadata' | 'frames' | 'bulkdata' | 'rendered';
      seriesInstanceUid?: string;
      sopInstanceUid?: string;
      instances: number;
      linkId?: string;
    };
  };
  'viewer-link-created': EventBase & {
    detail: { linkId: string; studyId: string; transferId: string; expiresAt: string };
  };
  'viewer-link-revoked': EventBase & { detail: { linkId: string; studyId: string } };
  /** Someone opened a viewer link: the address is the opener's, the user theirs when logged in. */
  'viewer-link-opened': EventBase & { detail: { linkId: string; studyId: string } };
  /** A viewer link that no longer opens (revoked, expired, its study gone) or an unknown token was used. */
  'viewer-link-refused': EventBase & { detail: { linkId?: string; reason: string } };
  /** Find it: where has this patient been imaged, at the hub and at the trusts asked over C-FIND. */
  'find-it-searched': EventBase & {
    detail: {
      trust: string;
      issuer?: string;
      studiesAtHub: number;
      trustsAsked: Array<{ trust: string; outcome: string; matches: number }>;
    };
  };
}

export type AuditEventName = keyof AuditEventMap;

export const AUDIT_EVENT_ACTIONS: { [N in AuditEventName]: AuditAction } = {
  'association-accepted': AuditAction.ApplicationActivity,
  'association-rejected': AuditAction.SecurityAlert,
  'association-aborted': AuditAction.ApplicationActivity,
  'instances-stored': AuditAction.DicomInstancesTransferred,
  'instance-refused': AuditAction.DicomInstancesTransferred,
  'instances-lost': AuditAction.ApplicationActivity,
  'study-completed': AuditAction.DicomInstancesTransferred,
  'study-routed': AuditAction.BeginTransferringDicomInstances,
  'study-quarantined': AuditAction.SecurityAlert,
  'late-instances-joined': AuditAction.BeginTransferringDicomInstances,
  'quarantine-released': AuditAction.BeginTransferringDicomInstances,
  'quarantine-discarded': AuditAction.StudyDeleted,
  'study-deleted': AuditAction.StudyDeleted,
  'delivery-attempted': AuditAction.DicomInstancesTransferred,
  'delivery-finished': AuditAction.DicomInstancesTransferred,
  'query-performed': AuditAction.Query,
  'instances-retrieved': AuditAction.DicomInstancesTransferred,
  'retrieve-refused': AuditAction.SecurityAlert,
  'fetch-requested': AuditAction.BeginTransferringDicomInstances,
  'tls-failure': AuditAction.SecurityAlert,
  'fetch-identified': AuditAction.Query,
  'fetch-finished': AuditAction.DicomInstancesTransferred,
  'transfer-suspended': AuditAction.ApplicationActivity,
  'transfer-resumed': AuditAction.ApplicationActivity,
  'config-changed': AuditAction.SecurityAlert,
  'application-started': AuditAction.ApplicationActivity,
  'user-logged-in': AuditAction.UserAuthentication,
  'user-login-failed': AuditAction.UserAuthentication,
  'user-logged-out': AuditAction.UserAuthentication,
  'access-notice-acknowledged': AuditAction.UserAuthentication,
  'account-locked': AuditAction.SecurityAlert,
  'login-rate-limited': AuditAction.SecurityAlert,
  'user-changed': AuditAction.SecurityAlert,
  'transfers-queried': AuditAction.Query,
  'transfer-viewed': AuditAction.DicomInstancesAccessed,
  'quarantine-listed': AuditAction.Query,
  'audit-searched': AuditAction.Query,
  'audit-chain-verified': AuditAction.ApplicationActivity,
  'restricted-study-accessed': AuditAction.SecurityAlert,
  'study-restriction-changed': AuditAction.SecurityAlert,
  'transfer-retried': AuditAction.BeginTransferringDicomInstances,
  'transfer-cancelled': AuditAction.ApplicationActivity,
  'node-echoed': AuditAction.ApplicationActivity,
  'dicomweb-searched': AuditAction.Query,
  'dicomweb-retrieved': AuditAction.DicomInstancesAccessed,
  'viewer-link-created': AuditAction.SecurityAlert,
  'viewer-link-revoked': AuditAction.SecurityAlert,
  'viewer-link-opened': AuditAction.DicomInstancesAccessed,
  'viewer-link-refused': AuditAction.SecurityAlert,
  'find-it-searched': AuditAction.Query,
};
