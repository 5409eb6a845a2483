import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthenticatedRequest, BEFORE_NOTICE_KEY, PUBLIC_KEY, ROLES_KEY } from './auth.decorators';
import { Role } from './role-policy';
import { SessionService } from './session.service';

/**
 * Every route needs a valid session unless marked @Public(), and a session whose user has acknowledged the
 * access notice unless marked @BeforeNotice(); a route marked @Roles(...) or @Can(...) also needs one of
 * those roles (403 otherwise). Register once as APP_GUARD.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) {
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const noticeRequired = !this.reflector.getAllAndOverride<boolean>(BEFORE_NOTICE_KEY, targets);
    const user = await this.sessions.authenticate(token, new Date(), { noticeRequired });
    request.user = user;
    request.sessionToken = token;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(user.role)) {
      throw new ForbiddenException(`your role (${user.role}) may not do this`);
    }
    return true;
  }
}
