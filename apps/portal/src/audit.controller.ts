import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuthUser, Can, ClientAddress, CurrentUser } from '@hub/accounts';
import { AuditVerification, AuditVerifyService } from '@hub/audit';
import { AuditPage, AuditSearchService } from '@hub/governance';

const FILTERS = [
  { name: 'patientId' },
  { name: 'studyInstanceUid' },
  { name: 'actor', description: 'user name or AE title' },
  { name: 'action', description: 'PS3.15 action(s), comma-separated, e.g. Query,SecurityAlert' },
  { name: 'event', description: 'event name(s), comma-separated, e.g. user-login-failed' },
  { name: 'trust', description: 'ODS code, as source or destination' },
  { name: 'from', description: 'at or after (ISO date-time)' },
  { name: 'to', description: 'before (ISO date-time)' },
];
const ApiFilters = (): MethodDecorator => (target, key, descriptor) => {
  for (const filter of FILTERS) {
    ApiQuery({ ...filter, required: false })(target, key, descriptor);
  }
};

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/audit')
@Can('audit:read')
export class AuditController {
  constructor(
    private readonly search: AuditSearchService,
    private readonly verifier: AuditVerifyService,
  ) {}

  /** Recomputes the audit trail's hash chain now and reports the first break, if any; the check is audited. */
  @Get('chain')
  chain(@AuthUser() user: CurrentUser, @ClientAddress() address?: string): Promise<AuditVerification> {
    return this.verifier.verifyFor({ user: user.username, address });
  }

  /** Oldest first; page (from 1) and pageSize (up to 1000, default 100). */
  @Get()
  @ApiFilters()
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'pageSize', required: false })
  find(
    @AuthUser() user: CurrentUser,
    @Query() query: Record<string, unknown>,
    @ClientAddress() address?: string,
  ): Promise<AuditPage> {
    return this.search.search({ user, address }, query);
  }

  /** The same rows as the search, in the same order, every page at once. */
  @Get('export.csv')
  @ApiFilters()
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @Header('Content-Disposition', 'attachment; filename="audit.csv"')
  export(
    @AuthUser() user: CurrentUser,
    @Query() query: Record<string, unknown>,
    @ClientAddress() address?: string,
  ): Promise<string> {
    return this.search.exportCsv({ user, address }, query);
  }

  /** Who has accessed this patient's images: every transfer, view and query naming the patient, and by whom. */
  @Get('patients/:patientId/access')
  @ApiQuery({ name: 'from', required: false })
  @ApiQuery({ name: 'to', required: false })
  patientAccess(
    @AuthUser() user: CurrentUser,
    @Param('patientId') patientId: string,
    @Query() query: Record<string, unknown>,
    @ClientAddress() address?: string,
  ) {
    return this.search.patientAccess({ user, address }, patientId, query);
  }
}
