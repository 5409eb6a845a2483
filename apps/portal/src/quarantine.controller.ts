import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, Can, ClientAddress, CurrentUser } from '@hub/accounts';
import { QuarantineAccessService } from '@hub/governance';
import { QuarantinedStudyView } from '@hub/routing';
import { uuid } from './params';

@ApiTags('quarantine')
@ApiBearerAuth()
@Controller('api/quarantine')
export class QuarantineController {
  constructor(private readonly quarantine: QuarantineAccessService) {}

  @Get()
  @Can('quarantine:read')
  list(@AuthUser() user: CurrentUser, @ClientAddress() address?: string): Promise<QuarantinedStudyView[]> {
    return this.quarantine.list({ user, address });
  }

  /** Routes the study again; 409 with the reason while no agreement allows it. */
  @Post(':studyId/release')
  @HttpCode(200)
  @Can('quarantine:manage')
  release(
    @AuthUser() user: CurrentUser,
    @Param('studyId', uuid('studyId')) studyId: string,
    @ClientAddress() address?: string,
  ) {
    return this.quarantine.release({ user, address }, studyId);
  }

  @Post(':studyId/discard')
  @HttpCode(200)
  @Can('quarantine:manage')
  discard(
    @AuthUser() user: CurrentUser,
    @Param('studyId', uuid('studyId')) studyId: string,
    @ClientAddress() address?: string,
  ) {
    return this.quarantine.discard({ user, address }, studyId);
  }
}
