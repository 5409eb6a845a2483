import { transferActions } from './transfer-actions';

describe('transfer actions offered', () => {
  const operator = { permissions: ['transfers:read', 'transfers:manage'] as const, trust: null };
  const ra7Admin = { permissions: ['transfers:read', 'transfers:manage'] as const, trust: 'RA7' };
  const rvjAdmin = { permissions: ['transfers:read', 'transfers:manage'] as const, trust: 'RVJ' };
  const governance = { permissions: ['transfers:read'] as const, trust: null };
  const at = (state: string) => ({ state, recipient: 'RA7' });
  const offered = (user: { permissions: readonly string[]; trust: string | null } | undefined, state: string) =>
    transferActions(user as Parameters<typeof transferActions>[0], at(state));

  it('offers both to operators and the recipient trust-admin, by state', () => {
    for (const user of [operator, ra7Admin]) {
      expect(offered(user, 'queued')).toEqual({ retry: true, cancel: true });
      expect(offered(user, 'failed')).toEqual({ retry: true, cancel: true });
      expect(offered(user, 'partially-delivered')).toEqual({ retry: true, cancel: true });
      expect(offered(user, 'delivering')).toEqual({ retry: false, cancel: true });
      expect(offered(user, 'suspended')).toEqual({ retry: false, cancel: true });
      for (const final of ['delivered', 'expired', 'cancelled']) {
        expect(offered(user, final)).toEqual({ retry: false, cancel: false });
      }
    }
  });

  it('offers nothing to the sender trust-admin, to governance, or before log-in', () => {
    for (const user of [rvjAdmin, governance, undefined]) {
      expect(offered(user, 'failed')).toEqual({ retry: false, cancel: false });
    }
  });
});
