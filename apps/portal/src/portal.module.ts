import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AccountsModule, SessionGuard } from '@hub/accounts';
import { LoadedConfig } from '@hub/config';
import { CoreModule } from '@hub/core';
import { DicomwebModule } from '@hub/dicomweb';
import { FetchModule } from '@hub/fetch';
import { FindItModule } from '@hub/find-it';
import { GovernanceModule } from '@hub/governance';
import { OperationsModule } from '@hub/operations';
import { RoutingModule } from '@hub/routing';
import { ViewerLinksModule } from '@hub/viewer-links';
import { AgreementsController } from './agreements.controller';
import { ApiErrorFilter } from './api-error.filter';
import { AuditController } from './audit.controller';
import { AuthController } from './auth.controller';
import { DicomwebController, DicomwebCorsInterceptor } from './dicomweb.controller';
import { FetchesController } from './fetches.controller';
import { FindItController } from './find-it.controller';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { OperationsController } from './operations.controller';
import { QuarantineController } from './quarantine.controller';
import { StudiesController } from './studies.controller';
import { TransfersController } from './transfers.controller';
import { UsersController } from './users.controller';
import { StudyLinksController, ViewerLinkOpenController } from './viewer-links.controller';

/** The HTTP API: log-in, transfers, quarantine, agreements, studies, audit, users, fetch requests, operations, health. Every route needs a session unless @Public. */
@Module({})
export class PortalModule {
  static forRoot(config: LoadedConfig, options = { core: true }): DynamicModule {
    return {
      module: PortalModule,
      imports: [
        ...(options.core ? [CoreModule.forRoot(config)] : []),
        AccountsModule,
        GovernanceModule,
        FetchModule,
        OperationsModule,
        RoutingModule,
        DicomwebModule,
        ViewerLinksModule,
        FindItModule,
      ],
      controllers: [
        HealthController,
        MetricsController,
        AuthController,
        TransfersController,
        QuarantineController,
        AgreementsController,
        StudiesController,
        AuditController,
        UsersController,
        FetchesController,
        OperationsController,
        DicomwebController,
        StudyLinksController,
        ViewerLinkOpenController,
        FindItController,
      ],
      providers: [
        { provide: APP_GUARD, useExisting: SessionGuard },
        { provide: APP_FILTER, useClass: ApiErrorFilter },
        DicomwebCorsInterceptor,
      ],
    };
  }
}
