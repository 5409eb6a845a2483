import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { QuarantineService, QuarantinedStudyView, TransferQueryService } from '@hub/routing';
import { ApiTokenGuard } from './api-token.guard';

const OPERATOR = { user: 'api-token' };

@Controller('api/quarantine')
@UseGuards(ApiTokenGuard)
export class QuarantineController {
  constructor(
    private readonly query: TransferQueryService,
    private readonly quarantine: QuarantineService,
  ) {}

  @Get()
  list(): Promise<QuarantinedStudyView[]> {
    return this.query.listQuarantined();
  }

  /** Routes the study again; 409 with the reason while no agreement allows it. */
  @Post(':studyId/release')
  @HttpCode(200)
  release(@Param('studyId', ParseUUIDPipe) studyId: string) {
    return this.quarantine.release(studyId, OPERATOR);
  }

  @Post(':studyId/discard')
  @HttpCode(200)
  discard(@Param('studyId', ParseUUIDPipe) studyId: string) {
    return this.quarantine.discard(studyId, OPERATOR);
  }
}
