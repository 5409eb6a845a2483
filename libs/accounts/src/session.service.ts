import { BadRequestException, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AuditOutcome, AuditService } from '@hub/audit';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import { TrustRepository, User, UserRepository, UserSessionRepository } from '@hub/db';
import { LoginRateLimiter, TooManyLoginFailuresException } from './login-rate-limit';
import { DUMMY_PASSWORD_HASH, hashPassword, passwordProblem, verifyPassword } from './password';
import { CurrentUser, Permission, permissionsOf, roleBelongsToTrust } from './role-policy';
import { hashSessionToken, newSessionToken } from './session-token';

/** Shown with every log-in: the user is told that what they do with patient data is recorded. */
export const ACCESS_NOTICE =
  'Access to patient data on this system is audited: every log-in, search and view of a transfer, study or ' +
  'audit record is recorded with your user name and may be reviewed by information governance.';

export interface LoginResult {
  token: string;
  tokenType: 'Bearer';
  expiresAt: string;
  idleTimeoutSeconds: number;
  user: { username: string; role: string; trust: string | null; permissions: Permission[] };
  notice: string;
}

const NOTICE_SHA256 = createHash('sha256').update(ACCESS_NOTICE).digest('hex');

const LOGIN_REFUSED = 'invalid username or password';
/** The 403 for a session whose user has not acknowledged the access notice yet. */
export const NOTICE_NOT_ACKNOWLEDGED =
  'acknowledge the access notice first: POST /api/auth/notice-acknowledgement (the log-in answer carries the notice)';
// The idle clock is refreshed at most this often, so a busy session is not one write per request.
const TOUCH_EVERY_MS = 30_000;

/**
 * Log-in, log-out and bearer-token checks. Repeated failures lock the account for a while, and an
 * address that fails too often is held off (429); every attempt, success or failure, and every lockout is audited.
 */
@Injectable()
export class SessionService {
  constructor(
    private readonly users: UserRepository,
    private readonly sessions: UserSessionRepository,
    private readonly trusts: TrustRepository,
    private readonly audit: AuditService,
    private readonly loginLimit: LoginRateLimiter,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  /**
   * Log-in, refused with 429 before the password is checked when the address has failed too often
   * (LoginRateLimiter); each refused log-in counts against its address.
   */
  async login(username: string, password: string, address?: string, now = new Date()): Promise<LoginResult> {
    const retryAfterSeconds = this.loginLimit.retryAfterSeconds(address, now.getTime());
    if (retryAfterSeconds > 0) {
      throw new TooManyLoginFailuresException(retryAfterSeconds);
    }
    try {
      return await this.checkLogin(username, password, address, now);
    } catch (error) {
      if (error instanceof UnauthorizedException) {
        await this.countAddressFailure(username, address, now);
      }
      throw error;
    }
  }

  private async countAddressFailure(username: string, address: string | undefined, now: Date): Promise<void> {
    const outcome = this.loginLimit.recordFailure(address, now.getTime());
    if (outcome.nowLimited) {
      await this.audit.record('login-rate-limited', {
        outcome: AuditOutcome.SeriousFailure,
        actor: { user: username.slice(0, 128), address },
        detail: {
          failures: outcome.failures,
          windowMinutes: this.config.portal.loginFailureWindowMinutes,
          retryAfterSeconds: outcome.retryAfterSeconds,
        },
      });
    }
  }

  private async checkLogin(
    username: string,
    password: string,
    address: string | undefined,
    now: Date,
  ): Promise<LoginResult> {
    const actor = { user: username.slice(0, 128), address };
    const user = await this.users.getByUsername(username);
    if (!user) {
      await verifyPassword(password, DUMMY_PASSWORD_HASH);
      await this.refuse(actor, 'unknown user');
    }
    const account = user!;
    const trust = await this.trustCodeOf(account);
    if (account.lockedUntil && account.lockedUntil > now) {
      await this.refuse(actor, 'locked', trust, 'account locked after repeated failed log-ins; try again later');
    }
    const passwordOk = await verifyPassword(password, account.passwordHash);
    if (account.disabled) {
      await this.refuse(actor, 'disabled', trust);
    }
    if (!passwordOk) {
      await this.countFailure(account, actor, trust, now);
    }

    const token = newSessionToken();
    const portal = this.config.portal;
    const expiresAt = new Date(now.getTime() + portal.sessionMaxHours * 3600_000);
    await this.sessions.create({
      tokenHash: hashSessionToken(token),
      userId: account.id,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
      noticeAcknowledgedAt: null,
    });
    await this.users.markLoggedIn(account.id, now);
    await this.sessions.deleteExpired(now);
    await this.audit.record('user-logged-in', {
      outcome: AuditOutcome.Success,
      actor,
      sourceTrust: trust ?? undefined,
      detail: { role: account.role, sessionExpiresAt: expiresAt.toISOString() },
    });
    return {
      token,
      tokenType: 'Bearer',
      expiresAt: expiresAt.toISOString(),
      idleTimeoutSeconds: Math.round(portal.sessionIdleMinutes * 60),
      user: { username: account.username, role: account.role, trust, permissions: permissionsOf(account.role) },
      notice: ACCESS_NOTICE,
    };
  }

  async logout(token: string, user: CurrentUser, address?: string): Promise<void> {
    await this.sessions.delete(hashSessionToken(token));
    await this.audit.record('user-logged-out', {
      outcome: AuditOutcome.Success,
      actor: { user: user.username, address },
      sourceTrust: user.trustCode ?? undefined,
      detail: { reason: 'logout' },
    });
  }

  /**
   * The user has read the access notice and acknowledged it: from now on this session may reach patient data
   * (until then every route but a few @BeforeNotice ones answers 403).
   */
  async acknowledgeNotice(user: CurrentUser, token: string, address?: string, now = new Date()): Promise<void> {
    if (!(await this.sessions.acknowledgeNotice(hashSessionToken(token), now))) {
      return; // this session's acknowledgement is on record already
    }
    await this.audit.record('access-notice-acknowledged', {
      outcome: AuditOutcome.Success,
      actor: { user: user.username, address },
      sourceTrust: user.trustCode ?? undefined,
      detail: { noticeSha256: NOTICE_SHA256 },
    });
  }

  /**
   * A user changes their own password, proving the current one. Their other sessions end (a session opened
   * with the old password by someone else does not outlive the change); the one they used stays.
   */
  async changePassword(user: CurrentUser, token: string, current: string, next: string, address?: string) {
    const account = await this.users.getById(user.id);
    if (!account || !(await verifyPassword(current, account.passwordHash))) {
      // 400, not 401: a mistyped current password must not end the session it was typed in.
      throw new BadRequestException('currentPassword: does not match your password');
    }
    const problem = passwordProblem(next);
    if (problem) {
      throw new BadRequestException(problem.replace(/^password:/, 'newPassword:'));
    }
    if (next === current) {
      throw new BadRequestException('newPassword: must differ from the current one');
    }
    await this.users.setPasswordHash(account.id, await hashPassword(next));
    const session = await this.sessions.get(hashSessionToken(token));
    await this.sessions.deleteForUser(account.id);
    if (session) {
      await this.sessions.create(session);
    }
    await this.audit.record('user-changed', {
      outcome: AuditOutcome.Success,
      actor: { user: user.username, address },
      sourceTrust: user.trustCode ?? undefined,
      detail: { username: user.username, change: 'password-changed' },
    });
  }

  /**
   * The user behind a bearer token, or 401 when the token is unknown, expired, idle too long or its user
   * disabled; with `noticeRequired`, 403 while the session's user has not acknowledged the access notice.
   */
  async authenticate(
    token: string | undefined,
    now = new Date(),
    options: { noticeRequired?: boolean } = {},
  ): Promise<CurrentUser> {
    const session = token ? await this.sessions.get(hashSessionToken(token)) : null;
    const idleMs = this.config.portal.sessionIdleMinutes * 60_000;
    if (!session || session.expiresAt <= now || session.lastSeenAt.getTime() + idleMs <= now.getTime()) {
      if (session) {
        await this.sessions.delete(session.tokenHash);
      }
      throw new UnauthorizedException('log in first: a valid bearer session token is required');
    }
    const user = await this.users.getById(session.userId);
    if (!user || user.disabled) {
      await this.sessions.delete(session.tokenHash);
      throw new UnauthorizedException('log in first: a valid bearer session token is required');
    }
    if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
      await this.sessions.touch(session.tokenHash, now);
    }
    if (options.noticeRequired && !session.noticeAcknowledgedAt) {
      throw new ForbiddenException(NOTICE_NOT_ACKNOWLEDGED);
    }
    return { id: user.id, username: user.username, role: user.role, trustCode: await this.trustCodeOf(user) };
  }

  private async countFailure(user: User, actor: { user: string; address?: string }, trust: string | null, now: Date) {
    const failures = await this.users.countFailure(user.id);
    const { maxFailedLogins, lockoutMinutes } = this.config.portal;
    await this.audit.record('user-login-failed', {
      outcome: AuditOutcome.MinorFailure,
      actor,
      sourceTrust: trust ?? undefined,
      detail: { reason: 'wrong password', failures },
    });
    if (failures >= maxFailedLogins) {
      const lockedUntil = new Date(now.getTime() + lockoutMinutes * 60_000);
      await this.users.lock(user.id, lockedUntil);
      await this.sessions.deleteForUser(user.id);
      await this.audit.record('account-locked', {
        outcome: AuditOutcome.SeriousFailure,
        actor,
        sourceTrust: trust ?? undefined,
        detail: { username: user.username, failures, lockedUntil: lockedUntil.toISOString() },
      });
    }
    throw new UnauthorizedException(LOGIN_REFUSED);
  }

  private async refuse(
    actor: { user: string; address?: string },
    reason: 'unknown user' | 'locked' | 'disabled',
    trust?: string | null,
    message = LOGIN_REFUSED,
  ): Promise<never> {
    await this.audit.record('user-login-failed', {
      outcome: AuditOutcome.MinorFailure,
      actor,
      sourceTrust: trust ?? undefined,
      detail: { reason },
    });
    throw new UnauthorizedException(message);
  }

  private async trustCodeOf(user: User): Promise<string | null> {
    if (!user.trustId || !roleBelongsToTrust(user.role)) {
      return null;
    }
    return (await this.trusts.getById(user.trustId))?.code ?? null;
  }
}
