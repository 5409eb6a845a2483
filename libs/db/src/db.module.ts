import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DatabaseMigrate, MigrationsPendingError, dataSourceOptions, openDatabase } from './data-source';
import { ENTITIES } from './entities';
import { AgreementRepository } from './repositories/agreement.repository';
import { AuditEventRepository } from './repositories/audit-event.repository';
import { FetchRequestRepository } from './repositories/fetch-request.repository';
import { InstanceRepository } from './repositories/instance.repository';
import { NamedLockRepository } from './repositories/named-lock.repository';
import { NodeRepository } from './repositories/node.repository';
import { StudyRepository } from './repositories/study.repository';
import { TransferRepository } from './repositories/transfer.repository';
import { TrustRepository } from './repositories/trust.repository';
import { UserSessionRepository } from './repositories/user-session.repository';
import { UserRepository } from './repositories/user.repository';
import { ViewerLinkRepository } from './repositories/viewer-link.repository';

const REPOSITORIES = [
  FetchRequestRepository,
  TrustRepository,
  NodeRepository,
  AgreementRepository,
  StudyRepository,
  InstanceRepository,
  AuditEventRepository,
  NamedLockRepository,
  TransferRepository,
  UserRepository,
  UserSessionRepository,
  ViewerLinkRepository,
];

/** MySQL through TypeORM: creates the database when missing and runs migrations at start-up (or checks them). */
@Global()
@Module({})
export class DbModule {
  static forRoot(databaseUrl: string, migrate: DatabaseMigrate = 'boot'): DynamicModule {
    return {
      module: DbModule,
      imports: [
        TypeOrmModule.forRootAsync({
          // A database that is down is retried (Nest's default); a schema left behind is not.
          useFactory: () => ({
            ...dataSourceOptions(databaseUrl),
            toRetry: (error: unknown) => !(error instanceof MigrationsPendingError),
          }),
          dataSourceFactory: (options) => openDatabase(databaseUrl, options, migrate),
        }),
        TypeOrmModule.forFeature(ENTITIES),
      ],
      providers: REPOSITORIES,
      exports: REPOSITORIES,
    };
  }
}
