import { InitialSchema1795364051938 } from './1795364051938-InitialSchema';
import { FetchRequests1795372240969 } from './1795372240969-FetchRequests';
import { Accounts1795500000000 } from './1795500000000-Accounts';
import { InstanceAudited1795600000000 } from './1795600000000-InstanceAudited';
import { TransferCancelled1795700000000 } from './1795700000000-TransferCancelled';
import { NodeTls1795800000000 } from './1795800000000-NodeTls';
import { TransferListIndex1795950000000 } from './1795950000000-TransferListIndex';
import { ViewerLinks1796000000000 } from './1796000000000-ViewerLinks';
import { SessionNotice1796500000000 } from './1796500000000-SessionNotice';

/** Every migration, oldest first. A new migration is generated from data-source.ts and added here. */
export const MIGRATIONS = [
  InitialSchema1795364051938,
  FetchRequests1795372240969,
  Accounts1795500000000,
  InstanceAudited1795600000000,
  TransferCancelled1795700000000,
  NodeTls1795800000000,
  TransferListIndex1795950000000,
  ViewerLinks1796000000000,
  SessionNotice1796500000000,
];
