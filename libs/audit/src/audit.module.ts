import { Global, Module } from '@nestjs/common';
import { MetricsModule } from '@hub/observability';
import { AuditVerifyService } from './audit-verify.service';
import { AuditService } from './audit.service';

@Global()
@Module({
  imports: [MetricsModule],
  providers: [AuditService, AuditVerifyService],
  exports: [AuditService, AuditVerifyService],
})
export class AuditModule {}
