import { Module } from '@nestjs/common';
import { NodeEchoService } from './node-echo.service';
import { OperationsService } from './operations.service';

/** The operator's view of queues, nodes and storage, for the portal. */
@Module({ providers: [OperationsService, NodeEchoService], exports: [OperationsService, NodeEchoService] })
export class OperationsModule {}
