import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, Can, ClientAddress, CurrentUser } from '@hub/accounts';
import { AgreementAdminService, AgreementView } from '@hub/governance';
import { uuid } from './params';

@ApiTags('agreements')
@ApiBearerAuth()
@Controller('api/agreements')
export class AgreementsController {
  constructor(private readonly agreements: AgreementAdminService) {}

  @Get()
  @Can('agreements:read')
  list(@AuthUser() user: CurrentUser, @ClientAddress() address?: string): Promise<AgreementView[]> {
    return this.agreements.list({ user, address });
  }

  /** Holds deliveries not yet started under this agreement (audited as a configuration change). */
  @Post(':agreementId/suspend')
  @HttpCode(200)
  @Can('agreements:manage')
  suspend(
    @AuthUser() user: CurrentUser,
    @Param('agreementId', uuid('agreementId')) id: string,
    @ClientAddress() address?: string,
  ): Promise<AgreementView> {
    return this.agreements.setSuspended({ user, address }, id, true);
  }

  @Post(':agreementId/resume')
  @HttpCode(200)
  @Can('agreements:manage')
  resume(
    @AuthUser() user: CurrentUser,
    @Param('agreementId', uuid('agreementId')) id: string,
    @ClientAddress() address?: string,
  ): Promise<AgreementView> {
    return this.agreements.setSuspended({ user, address }, id, false);
  }
}
