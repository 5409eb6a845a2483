import {
  CurrentUser,
  PERMISSIONS,
  Permission,
  Role,
  accountTrustProblem,
  hasPermission,
  mayAccessExchange,
  mayManageTransfer,
  permissionsOf,
  seesRestrictedStudies,
  trustScope,
} from './role-policy';

const user = (role: Role, trustCode: string | null = null): CurrentUser => ({
  id: 'u',
  username: role,
  role,
  trustCode,
});

describe('role policy', () => {
  // The matrix: operator everything; trust-admin its trust's transfers, quarantine and agreements;
  // governance all audit and transfers, read-only; clinician its trust's transfers and fetch requests.
  const expected: Record<Role, Permission[]> = {
    operator: Object.keys(PERMISSIONS) as Permission[],
    'trust-admin': [
      'transfers:read',
      'transfers:manage',
      'quarantine:read',
      'quarantine:manage',
      'agreements:read',
      'fetches:read',
      'fetches:request',
      'dicomweb:read',
      'viewer-links:manage',
      'find-it:search',
    ],
    governance: ['transfers:read', 'quarantine:read', 'agreements:read', 'audit:read', 'fetches:read', 'dicomweb:read'],
    clinician: [
      'transfers:read',
      'fetches:read',
      'fetches:request',
      'dicomweb:read',
      'viewer-links:manage',
      'find-it:search',
    ],
  };

  it.each(Object.keys(expected) as Role[])('%s has exactly its permissions', (role) => {
    const granted = (Object.keys(PERMISSIONS) as Permission[]).filter((permission) =>
      hasPermission(user(role), permission),
    );
    expect(granted.sort()).toEqual([...expected[role]].sort());
    expect(permissionsOf(role).sort()).toEqual([...expected[role]].sort());
  });

  it('limits trust-admins and clinicians to their own trust, others to none', () => {
    expect(trustScope(user('trust-admin', 'RVJ'))).toBe('RVJ');
    expect(trustScope(user('clinician', 'RA7'))).toBe('RA7');
    expect(trustScope(user('operator'))).toBeNull();
    expect(trustScope(user('governance'))).toBeNull();
  });

  it('lets a trust see an exchange it sent or received, and no other', () => {
    const exchange = { sender: 'RVJ', recipient: 'RA7' };
    expect(mayAccessExchange(user('trust-admin', 'RVJ'), exchange)).toBe(true);
    expect(mayAccessExchange(user('clinician', 'RA7'), exchange)).toBe(true);
    expect(mayAccessExchange(user('trust-admin', 'RBA'), exchange)).toBe(false);
    expect(mayAccessExchange(user('clinician', null), exchange)).toBe(false);
    expect(mayAccessExchange(user('governance'), exchange)).toBe(true);
  });

  it('lets operators retry or cancel any transfer, and a trust-admin only those its trust receives', () => {
    const transfer = { recipient: 'RA7' };
    expect(mayManageTransfer(user('operator'), transfer)).toBe(true);
    expect(mayManageTransfer(user('trust-admin', 'RA7'), transfer)).toBe(true);
    // The sender's admin sees the transfer but may not act on the recipient's delivery.
    expect(mayManageTransfer(user('trust-admin', 'RVJ'), transfer)).toBe(false);
    expect(mayManageTransfer(user('trust-admin', null), transfer)).toBe(false);
    expect(mayManageTransfer(user('governance'), transfer)).toBe(false);
    expect(mayManageTransfer(user('clinician', 'RA7'), transfer)).toBe(false);
  });

  it('hides restricted studies from clinicians only', () => {
    expect(seesRestrictedStudies(user('clinician', 'RA7'))).toBe(false);
    for (const role of ['operator', 'trust-admin', 'governance'] as const) {
      expect(seesRestrictedStudies(user(role))).toBe(true);
    }
  });

  it('puts trust-admins and clinicians in a trust, and operators and governance in none', () => {
    expect(accountTrustProblem('clinician', undefined)).toBe('trust: required for role clinician');
    expect(accountTrustProblem('trust-admin', 'RVJ')).toBeUndefined();
    expect(accountTrustProblem('operator', 'RVJ')).toBe('trust: role operator does not belong to a trust');
    expect(accountTrustProblem('governance', undefined)).toBeUndefined();
  });
});
