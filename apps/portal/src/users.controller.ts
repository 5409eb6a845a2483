import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { AccountView, AccountsService, AuthUser, Can, CurrentUser } from '@hub/accounts';
import { bodyText, optionalBodyText } from './params';

@ApiTags('users')
@ApiBearerAuth()
@Controller('api/users')
@Can('users:manage')
export class UsersController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  list(): Promise<AccountView[]> {
    return this.accounts.list();
  }

  @Post()
  @ApiBody({
    schema: {
      properties: {
        username: { type: 'string' },
        password: { type: 'string' },
        role: { type: 'string', enum: ['operator', 'trust-admin', 'governance', 'clinician'] },
        trust: { type: 'string', description: 'ODS code; for trust-admin and clinician only' },
      },
    },
  })
  create(@AuthUser() user: CurrentUser, @Body() body: unknown): Promise<AccountView> {
    return this.accounts.create(
      {
        username: bodyText(body, 'username', 64),
        password: bodyText(body, 'password'),
        role: bodyText(body, 'role', 32),
        trust: optionalBodyText(body, 'trust', 16),
      },
      user.username,
    );
  }

  @Post(':username/disable')
  @HttpCode(200)
  disable(@AuthUser() user: CurrentUser, @Param('username') username: string): Promise<AccountView> {
    return this.accounts.setDisabled(username, true, user.username);
  }

  @Post(':username/enable')
  @HttpCode(200)
  enable(@AuthUser() user: CurrentUser, @Param('username') username: string): Promise<AccountView> {
    return this.accounts.setDisabled(username, false, user.username);
  }
}
