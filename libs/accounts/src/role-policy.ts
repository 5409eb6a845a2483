import { USER_ROLES, UserRole } from '@hub/db';

export type Role = UserRole;
export const ROLES = USER_ROLES;

/** The user a request acts for, as guards and controllers see it. */
export interface CurrentUser {
  id: string;
  username: string;
  role: Role;
  /** The trust's ODS code, for trust-admin and clinician; null for operator and governance. */
  trustCode: string | null;
}

/**
 * Who may do what. Trust-admins and clinicians are further limited to their own trust's
 * exchanges (trustScope), clinicians never see restricted studies (seesRestrictedStudies).
 */
export const PERMISSIONS = {
  'transfers:read': ['operator', 'trust-admin', 'governance', 'clinician'],
  // "Retry now" and "Cancel": trust-admins only on transfers to their own trust (mayManageTransfer).
  'transfers:manage': ['operator', 'trust-admin'],
  'quarantine:read': ['operator', 'trust-admin', 'governance'],
  'quarantine:manage': ['operator', 'trust-admin'],
  'agreements:read': ['operator', 'trust-admin', 'governance'],
  'agreements:manage': ['operator'],
  'audit:read': ['operator', 'governance'],
  'studies:restrict': ['operator'],
  'users:manage': ['operator'],
  // Fetch requests ("source it"): trust-bound users only for their own trust as the recipient.
  'fetches:read': ['operator', 'trust-admin', 'governance', 'clinician'],
  'fetches:request': ['operator', 'trust-admin', 'clinician'],
  // Queues, nodes and the hub's own health: what the operator on call watches.
  'operations:read': ['operator'],
  // "C-ECHO now": the hub opens an association to a trust's PACS.
  'operations:echo': ['operator'],
  // DICOMweb and the viewer: trust-bound users see their own trust's folders, clinicians no restricted study.
  'dicomweb:read': ['operator', 'trust-admin', 'governance', 'clinician'],
  // A secure viewer link to one study: only users of the trust whose folder holds it (and operators).
  'viewer-links:manage': ['operator', 'trust-admin', 'clinician'],
  // Find it: where a patient has been imaged, at the hub and at the trusts that share with the user's trust.
  'find-it:search': ['operator', 'trust-admin', 'clinician'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function hasPermission(user: Pick<CurrentUser, 'role'>, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(user.role);
}

/** Every permission the role has, for clients that show only what the user may use (the server still checks each). */
export function permissionsOf(role: Role): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((permission) => hasPermission({ role }, permission));
}

/** Roles that belong to one trust and see only its exchanges. */
export function roleBelongsToTrust(role: Role): boolean {
  return role === 'trust-admin' || role === 'clinician';
}

/** Scope of a trust-bound user whose trust is gone: no trust has this code, so it matches nothing. */
export const NO_TRUST = '(none)';

/** The only trust whose exchanges the user may see, or null for every trust. */
export function trustScope(user: CurrentUser): string | null {
  return roleBelongsToTrust(user.role) ? (user.trustCode ?? NO_TRUST) : null;
}

/** Whether the user may see an exchange between these trusts (as sender or recipient). */
export function mayAccessExchange(user: CurrentUser, exchange: { sender: string; recipient: string }): boolean {
  const scope = trustScope(user);
  return scope === null || exchange.sender === scope || exchange.recipient === scope;
}

/** Whether the user may retry or cancel a transfer: operators any, a trust-admin only those its trust receives. */
export function mayManageTransfer(user: CurrentUser, transfer: { recipient: string }): boolean {
  if (!hasPermission(user, 'transfers:manage')) {
    return false;
  }
  const scope = trustScope(user);
  return scope === null || transfer.recipient === scope;
}

/** Restricted (sensitive) studies are never shown to clinicians; others see them, each access alerted. */
export function seesRestrictedStudies(user: Pick<CurrentUser, 'role'>): boolean {
  return user.role !== 'clinician';
}

/** Why a role/trust pair is refused for a new account, or undefined. */
export function accountTrustProblem(role: Role, trustCode: string | undefined): string | undefined {
  if (roleBelongsToTrust(role) && !trustCode) {
    return `trust: required for role ${role}`;
  }
  if (!roleBelongsToTrust(role) && trustCode) {
    return `trust: role ${role} does not belong to a trust`;
  }
  return undefined;
}
