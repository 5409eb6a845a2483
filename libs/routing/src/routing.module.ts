import { Module } from '@nestjs/common';
import { ExpiryService } from './expiry.service';
import { QuarantineService } from './quarantine.service';
import { RoutingService } from './routing.service';
import { StudyPurgeService } from './study-purge.service';
import { TransferActionsService } from './transfer-actions.service';
import { TransferQueryService } from './transfer-query.service';
import { TransferSweepService } from './transfer-sweep.service';

const SERVICES = [
  StudyPurgeService,
  RoutingService,
  ExpiryService,
  QuarantineService,
  TransferSweepService,
  TransferQueryService,
  TransferActionsService,
];

/** Routing, expiry and quarantine; imported by the router, the portal and the CLI over CoreModule. */
@Module({ providers: SERVICES, exports: SERVICES })
export class RoutingModule {}
