import { ExecutionContext, SetMetadata, createParamDecorator } from '@nestjs/common';
import { PERMISSIONS, Permission, Role } from './role-policy';

export const ROLES_KEY = 'hub:roles';
export const PUBLIC_KEY = 'hub:public';
export const BEFORE_NOTICE_KEY = 'hub:before-notice';

/** Only these roles may call the handler (or every handler of the controller). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** Only the roles the permission table allows, e.g. `@Can('audit:read')`. */
export const Can = (permission: Permission) => Roles(...PERMISSIONS[permission]);

/** No log-in needed (health, log-in itself). Everything else needs a session. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/**
 * Callable in a session whose user has not yet acknowledged the access notice (who am I, log out, the
 * acknowledgement itself, a password change): they carry no patient data. Every other route refuses with 403.
 */
export const BeforeNotice = () => SetMetadata(BEFORE_NOTICE_KEY, true);

/** What the session guard attaches to the request. */
export interface AuthenticatedRequest {
  user?: import('./role-policy').CurrentUser;
  sessionToken?: string;
  ip?: string;
  headers: Record<string, string | string[] | undefined>;
}

/** The logged-in user: `@CurrentUser() user: CurrentUser`. */
export const AuthUser = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const user = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
  if (!user) {
    throw new Error('AuthUser used on a public route');
  }
  return user;
});

/** The bearer token of the current session (for log-out). */
export const SessionToken = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<AuthenticatedRequest>().sessionToken,
);

/** The caller's address, for the audit trail. */
export const ClientAddress = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<AuthenticatedRequest>().ip,
);
