// Compile-time check, run by `npm run check` (tsc -p tsconfig.json): the web app's API types
// (apps/portal/web/src/api/types.ts) are exactly the server's own view types, so neither side can change a
// body without the other noticing. Nothing here runs.
import type { LoginResult, Permission, Role } from '@hub/accounts';
import type { TransferState } from '@hub/db';
import type { AuditEventView, TransferDetailView, TransferListView } from '@hub/governance';
import type * as Web from '../apps/portal/web/src/api/types';

/** true only when A and B are assignable both ways. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

export const webApiTypesMatchTheServer: [
  Same<Web.Permission, Permission>,
  Same<Web.Role, Role>,
  Same<Web.LoginResult, LoginResult>,
  Same<Web.TransferListItem, TransferListView>,
  Same<Web.TransferDetail, TransferDetailView>,
  Same<Web.AuditEvent, AuditEventView>,
  Same<Web.TransferState, TransferState>,
] = [true, true, true, true, true, true, true];
