export * from './agreement.entity';
export * from './audit-event.entity';
export * from './fetch-request.entity';
export * from './instance.entity';
export * from './node.entity';
export * from './study.entity';
export * from './transfer.entity';
export * from './trust.entity';
export * from './user.entity';
export * from './viewer-link.entity';

import { AgreementEntity } from './agreement.entity';
import { AuditChainHeadEntity, AuditEventEntity } from './audit-event.entity';
import { FetchRequestEntity } from './fetch-request.entity';
import { InstanceEntity } from './instance.entity';
import { NodeEntity } from './node.entity';
import { StudyEntity } from './study.entity';
import { TransferEntity, TransferInstanceEntity } from './transfer.entity';
import { TrustEntity } from './trust.entity';
import { UserEntity, UserSessionEntity } from './user.entity';
import { ViewerLinkEntity } from './viewer-link.entity';

export const ENTITIES = [
  TrustEntity,
  NodeEntity,
  AgreementEntity,
  StudyEntity,
  InstanceEntity,
  TransferEntity,
  TransferInstanceEntity,
  AuditEventEntity,
  AuditChainHeadEntity,
  FetchRequestEntity,
  UserEntity,
  UserSessionEntity,
  ViewerLinkEntity,
];
