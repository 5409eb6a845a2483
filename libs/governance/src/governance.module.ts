import { Module } from '@nestjs/common';
import { RoutingModule } from '@hub/routing';
import { AgreementAdminService } from './agreement-admin.service';
import { AuditSearchService } from './audit-search.service';
import { QuarantineAccessService } from './quarantine-access.service';
import { StudyRestrictionService } from './study-restriction.service';
import { TransferAccessService } from './transfer-access.service';

const SERVICES = [
  StudyRestrictionService,
  TransferAccessService,
  QuarantineAccessService,
  AgreementAdminService,
  AuditSearchService,
];

/** What portal users may see and do, scoped by role and trust, every read audited. */
@Module({ imports: [RoutingModule], providers: SERVICES, exports: SERVICES })
export class GovernanceModule {}
