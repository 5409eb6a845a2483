import { Global, Module } from '@nestjs/common';
import { AuditVerifyService } from './audit-verify.service';
import { AuditService } from './audit.service';

@Global()
@Module({ providers: [AuditService, AuditVerifyService], exports: [AuditService, AuditVerifyService] })
export class AuditModule {}
