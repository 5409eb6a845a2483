import { Module } from '@nestjs/common';
import { OperationsService } from './operations.service';

/** The operator's view of queues, nodes and storage, for the portal. */
@Module({ providers: [OperationsService], exports: [OperationsService] })
export class OperationsModule {}
