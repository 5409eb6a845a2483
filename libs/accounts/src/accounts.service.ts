import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { TrustRepository, User, UserRepository } from '@hub/db';
import { hashPassword, passwordProblem } from './password';
import { ROLES, Role, accountTrustProblem } from './role-policy';

export interface AccountView {
  username: string;
  role: Role;
  trust: string | null;
  disabled: boolean;
  lockedUntil: string | null;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface NewAccount {
  username: string;
  password: string;
  role: string;
  trust?: string;
}

const USERNAME = /^[A-Za-z0-9._@-]{3,64}$/;

/** Portal accounts: created by an operator (or the CLI for the first one), listed, disabled. Every change audited. */
@Injectable()
export class AccountsService {
  constructor(
    private readonly users: UserRepository,
    private readonly trusts: TrustRepository,
    private readonly audit: AuditService,
  ) {}

  async create(account: NewAccount, actor: string): Promise<AccountView> {
    if (!USERNAME.test(account.username ?? '')) {
      throw new BadRequestException('username: 3 to 64 letters, digits, dots, @, underscores or hyphens');
    }
    if (!ROLES.includes(account.role as Role)) {
      throw new BadRequestException(`role: expected one of ${ROLES.join(', ')}`);
    }
    const role = account.role as Role;
    const problem = accountTrustProblem(role, account.trust) ?? passwordProblem(account.password ?? '');
    if (problem) {
      throw new BadRequestException(problem);
    }
    let trustId: string | null = null;
    if (account.trust) {
      const trust = (await this.trusts.getAll()).find((row) => row.code === account.trust && row.active);
      if (!trust) {
        throw new BadRequestException(`trust: unknown trust "${account.trust}"`);
      }
      trustId = trust.id;
    }
    const user = await this.users.create({
      username: account.username,
      passwordHash: await hashPassword(account.password),
      role,
      trustId,
    });
    if (!user) {
      throw new ConflictException(`username: "${account.username}" is taken`);
    }
    await this.audit.record('user-changed', {
      outcome: AuditOutcome.Success,
      actor: { user: actor },
      sourceTrust: account.trust,
      detail: { username: user.username, change: 'created', role, trust: account.trust ?? null },
    });
    return this.view(user, await this.trusts.codesById());
  }

  async list(): Promise<AccountView[]> {
    const codes = await this.trusts.codesById();
    return (await this.users.getAll()).map((user) => this.view(user, codes));
  }

  /** Disabling also ends the account's sessions; enabling lifts a lockout. */
  async setDisabled(username: string, disabled: boolean, actor: string): Promise<AccountView> {
    const user = await this.users.getByUsername(username);
    if (!user) {
      throw new NotFoundException(`no user ${username}`);
    }
    await this.users.setDisabled(user.id, disabled);
    await this.audit.record('user-changed', {
      outcome: AuditOutcome.Success,
      actor: { user: actor },
      detail: { username, change: disabled ? 'disabled' : 'enabled' },
    });
    return this.view({ ...user, disabled, ...(disabled ? {} : { lockedUntil: null }) }, await this.trusts.codesById());
  }

  /** Whether any enabled operator exists (the CLI says how to create the first). */
  async hasOperator(): Promise<boolean> {
    return (await this.users.countByRole('operator')) > 0;
  }

  private view(user: User, codes: Map<string, string>): AccountView {
    return {
      username: user.username,
      role: user.role,
      trust: user.trustId ? (codes.get(user.trustId) ?? user.trustId) : null,
      disabled: user.disabled,
      lockedUntil: user.lockedUntil && user.lockedUntil > new Date() ? user.lockedUntil.toISOString() : null,
      lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
      createdAt: user.createdAt.toISOString(),
    };
  }
}
