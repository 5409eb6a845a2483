import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, Can, ClientAddress, CurrentUser } from '@hub/accounts';
import { StudyRestrictionService } from '@hub/governance';
import { uuid } from './params';

@ApiTags('studies')
@ApiBearerAuth()
@Controller('api/studies')
@Can('studies:restrict')
export class StudiesController {
  constructor(private readonly restriction: StudyRestrictionService) {}

  /** Marks a study sensitive: hidden from clinicians, every access a Security Alert. */
  @Post(':studyId/restrict')
  @HttpCode(200)
  restrict(
    @AuthUser() user: CurrentUser,
    @Param('studyId', uuid('studyId')) studyId: string,
    @ClientAddress() address?: string,
  ) {
    return this.restriction.setRestricted({ user, address }, studyId, true);
  }

  @Post(':studyId/unrestrict')
  @HttpCode(200)
  unrestrict(
    @AuthUser() user: CurrentUser,
    @Param('studyId', uuid('studyId')) studyId: string,
    @ClientAddress() address?: string,
  ) {
    return this.restriction.setRestricted({ user, address }, studyId, false);
  }
}
