import { ExecutionContext, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { EnvConfig } from '@hub/config';
import { ApiTokenGuard } from './api-token.guard';

const TOKEN = 'x'.repeat(32);

function contextWith(authorization?: string): ExecutionContext {
  return {
    switchToHttp: () => ({ getRequest: () => ({ headers: { authorization } }) }),
  } as unknown as ExecutionContext;
}

describe('ApiTokenGuard', () => {
  it('keeps the API closed when no token is configured', () => {
    const guard = new ApiTokenGuard({} as EnvConfig);
    expect(() => guard.canActivate(contextWith(`Bearer ${TOKEN}`))).toThrow(ServiceUnavailableException);
  });

  it.each([undefined, 'Bearer', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`])('refuses %s', (header) => {
    const guard = new ApiTokenGuard({ apiToken: TOKEN } as EnvConfig);
    expect(() => guard.canActivate(contextWith(header))).toThrow(UnauthorizedException);
  });

  it('lets the configured bearer token through', () => {
    const guard = new ApiTokenGuard({ apiToken: TOKEN } as EnvConfig);
    expect(guard.canActivate(contextWith(`Bearer ${TOKEN}`))).toBe(true);
  });
});
