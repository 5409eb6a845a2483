// Compile-time check, run by `npm run check` (tsc -p tsconfig.json): the web app's API types
// (apps/portal/web/src/api/types.ts) are exactly the server's own view types, so neither side can change a
// body without the other noticing. Nothing here runs.
import type { AccountView, LoginResult, Permission, Role } from '@hub/accounts';
import type { AuditVerification } from '@hub/audit';
import type { TransferSort, TransferState } from '@hub/db';
import type { FetchView } from '@hub/fetch';
import type {
  AgreementView,
  AuditEventView,
  AuditPage,
  PatientAccessReport,
  TransferDetailView,
  TransferListView,
  TransferPage,
} from '@hub/governance';
import type { NodeEchoView, OperationsView } from '@hub/operations';
import type { QuarantinedStudyView, TransferCancelView, TransferRetryView } from '@hub/routing';
import type { ApiError } from '../apps/portal/src/api-error.filter';
import type * as Web from '../apps/portal/web/src/api/types';

/** true only when A and B are assignable both ways. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** A body as JSON carries it: Dates become ISO strings. */
type Json<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

export const webApiTypesMatchTheServer: [
  Same<Web.Permission, Permission>,
  Same<Web.Role, Role>,
  Same<Web.LoginResult, LoginResult>,
  Same<Web.TransferListItem, TransferListView>,
  Same<Web.TransferDetail, TransferDetailView>,
  Same<Web.AuditEvent, AuditEventView>,
  Same<Web.TransferState, TransferState>,
  Same<Web.QuarantinedStudy, QuarantinedStudyView>,
  Same<Web.Agreement, AgreementView>,
  Same<Web.Account, AccountView>,
  Same<Web.AuditPage, AuditPage>,
  Same<Web.PatientAccessReport, PatientAccessReport>,
  Same<Web.FetchRequest, Json<FetchView>>,
  Same<Web.AuditVerification, AuditVerification>,
  Same<Web.OperationsView, OperationsView>,
  Same<Web.TransferRetry, TransferRetryView>,
  Same<Web.TransferCancel, TransferCancelView>,
  Same<Web.NodeEcho, NodeEchoView>,
  Same<Web.TransferPage, TransferPage>,
  Same<Web.TransferSort, TransferSort>,
  Same<Web.ApiErrorBody, ApiError>,
] = [
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
];
