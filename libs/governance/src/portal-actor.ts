import { AuditActor } from '@hub/audit';
import { CurrentUser } from '@hub/accounts';

/** Who a portal request acts for, as the audit trail records it. */
export interface PortalCaller {
  user: CurrentUser;
  address?: string;
}

export function auditActor(caller: PortalCaller): AuditActor {
  return { user: caller.user.username, address: caller.address };
}
