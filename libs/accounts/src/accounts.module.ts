import { Module } from '@nestjs/common';
import { AccountsService } from './accounts.service';
import { LoginRateLimiter } from './login-rate-limit';
import { SessionGuard } from './session.guard';
import { SessionService } from './session.service';

const SERVICES = [AccountsService, SessionService, SessionGuard, LoginRateLimiter];

/** Accounts, sessions and the guard; the portal registers SessionGuard as its APP_GUARD, the CLI uses AccountsService. */
@Module({ providers: SERVICES, exports: SERVICES })
export class AccountsModule {}
