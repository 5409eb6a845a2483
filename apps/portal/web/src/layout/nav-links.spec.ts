import { homePathFor, navItemsFor } from './nav-links';

describe('navigation by permission', () => {
  it('shows a trust-admin transfers, quarantine, agreements and fetches, in menu order', () => {
    const labels = navItemsFor([
      'fetches:request',
      'fetches:read',
      'agreements:read',
      'quarantine:manage',
      'quarantine:read',
      'transfers:read',
    ]).map((item) => item.label);
    expect(labels).toEqual(['Transfers', 'Quarantine', 'Agreements', 'Fetches']);
  });

  it('shows Users only with users:manage and Operations only with operations:read', () => {
    expect(navItemsFor(['users:manage']).map((item) => item.label)).toEqual(['Users']);
    expect(navItemsFor(['operations:read']).map((item) => item.label)).toEqual(['Operations']);
    expect(navItemsFor(['fetches:request']).map((item) => item.label)).toEqual([]);
  });

  it('opens on the first page the user may use', () => {
    expect(homePathFor(['audit:read', 'transfers:read'])).toBe('/transfers');
    expect(homePathFor(['audit:read'])).toBe('/audit');
    expect(homePathFor([])).toBe('/no-access');
  });
});
