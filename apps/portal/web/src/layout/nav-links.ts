import type { Permission } from '../api/types';

export interface NavItem {
  label: 'Transfers' | 'Quarantine' | 'Agreements' | 'Audit' | 'Find it' | 'Fetches' | 'Users' | 'Operations';
  path: string;
  /** The server's permission that makes the page usable; the server still checks every request. */
  permission: Permission;
  /** A page only partly built says so on the page and in the menu. */
  built: 'yes' | 'partly';
}

export const NAV_ITEMS: readonly NavItem[] = [
  { label: 'Transfers', path: '/transfers', permission: 'transfers:read', built: 'yes' },
  { label: 'Quarantine', path: '/quarantine', permission: 'quarantine:read', built: 'yes' },
  { label: 'Agreements', path: '/agreements', permission: 'agreements:read', built: 'yes' },
  { label: 'Audit', path: '/audit', permission: 'audit:read', built: 'yes' },
  { label: 'Find it', path: '/find-it', permission: 'find-it:search', built: 'yes' },
  { label: 'Fetches', path: '/fetches', permission: 'fetches:read', built: 'yes' },
  { label: 'Users', path: '/users', permission: 'users:manage', built: 'yes' },
  { label: 'Operations', path: '/operations', permission: 'operations:read', built: 'yes' },
];

/** The links a user with these permissions sees, in menu order. */
export function navItemsFor(permissions: readonly Permission[]): NavItem[] {
  return NAV_ITEMS.filter((item) => permissions.includes(item.permission));
}

/** Where the app opens after log-in: the first page the user may use. */
export function homePathFor(permissions: readonly Permission[]): string {
  return navItemsFor(permissions)[0]?.path ?? '/no-access';
}
