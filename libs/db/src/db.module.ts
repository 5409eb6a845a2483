import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions, openDatabase } from './data-source';
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

/** MySQL through TypeORM: creates the database when missing and runs migrations at start-up. */
@Global()
@Module({})
export class DbModule {
  static forRoot(databaseUrl: string): DynamicModule {
    return {
      module: DbModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(databaseUrl),
          dataSourceFactory: (options) => openDatabase(databaseUrl, options),
        }),
        TypeOrmModule.forFeature(ENTITIES),
      ],
      providers: REPOSITORIES,
      exports: REPOSITORIES,
    };
  }
}
