import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { ENV_CONFIG, EnvConfig } from '@hub/config';
import { timingSafeEqual } from 'node:crypto';

/**
 * Until user accounts and roles arrive (governance issue), the operator endpoints take one bearer
 * token from HUB_API_TOKEN; without it they stay closed rather than open to anyone.
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly token?: Buffer;

  constructor(@Inject(ENV_CONFIG) env: EnvConfig) {
    this.token = env.apiToken ? Buffer.from(env.apiToken) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.token) {
      throw new ServiceUnavailableException('the operator API is closed: set HUB_API_TOKEN');
    }
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>()
      .headers.authorization;
    const presented = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
    if (presented.length !== this.token.length || !timingSafeEqual(presented, this.token)) {
      throw new UnauthorizedException('a valid bearer token is required');
    }
    return true;
  }
}
