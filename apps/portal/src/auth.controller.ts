import { Body, Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import {
  AuthUser,
  BeforeNotice,
  ClientAddress,
  CurrentUser,
  LoginResult,
  Public,
  SessionService,
  SessionToken,
  TooManyLoginFailuresException,
  permissionsOf,
} from '@hub/accounts';
import { bodyText } from './params';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly sessions: SessionService) {}

  /** Log-in with a local account; the response carries the bearer token and the audit notice. */
  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiBody({ schema: { properties: { username: { type: 'string' }, password: { type: 'string' } } } })
  @ApiTooManyRequestsResponse({ description: 'this address failed too often; Retry-After says for how long' })
  async login(
    @Body() body: unknown,
    @Res({ passthrough: true }) response: { setHeader(name: string, value: string): void },
    @ClientAddress() address?: string,
  ): Promise<LoginResult> {
    try {
      return await this.sessions.login(bodyText(body, 'username', 64), bodyText(body, 'password'), address);
    } catch (error) {
      if (error instanceof TooManyLoginFailuresException) {
        response.setHeader('Retry-After', String(error.retryAfterSeconds));
      }
      throw error;
    }
  }

  @ApiBearerAuth()
  @BeforeNotice()
  @Post('logout')
  @HttpCode(204)
  async logout(
    @AuthUser() user: CurrentUser,
    @SessionToken() token: string,
    @ClientAddress() address?: string,
  ): Promise<void> {
    await this.sessions.logout(token, user, address);
  }

  /**
   * Records that the user acknowledged the audit notice the log-in returned. Until then the session reaches no
   * patient data: every route but these four answers 403. Scripts call it once after logging in.
   */
  @ApiBearerAuth()
  @BeforeNotice()
  @Post('notice-acknowledgement')
  @HttpCode(204)
  async acknowledgeNotice(
    @AuthUser() user: CurrentUser,
    @SessionToken() token: string,
    @ClientAddress() address?: string,
  ): Promise<void> {
    await this.sessions.acknowledgeNotice(user, token, address);
  }

  /** Changes the caller's own password (the current one must be given); ends their other sessions. */
  @ApiBearerAuth()
  @BeforeNotice()
  @Post('password')
  @HttpCode(204)
  @ApiBody({ schema: { properties: { currentPassword: { type: 'string' }, newPassword: { type: 'string' } } } })
  async changePassword(
    @AuthUser() user: CurrentUser,
    @SessionToken() token: string,
    @Body() body: unknown,
    @ClientAddress() address?: string,
  ): Promise<void> {
    await this.sessions.changePassword(
      user,
      token,
      bodyText(body, 'currentPassword'),
      bodyText(body, 'newPassword'),
      address,
    );
  }

  @ApiBearerAuth()
  @BeforeNotice()
  @Get('me')
  me(@AuthUser() user: CurrentUser) {
    return { username: user.username, role: user.role, trust: user.trustCode, permissions: permissionsOf(user.role) };
  }
}
