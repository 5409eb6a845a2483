import { Module } from '@nestjs/common';
import { PullCatalogService } from './pull-catalog.service';
import { QueryRetrieveService } from './query-retrieve.service';

/** C-FIND/C-MOVE SCP logic for pulling nodes; imported by the receiver over CoreModule. */
@Module({ providers: [PullCatalogService, QueryRetrieveService], exports: [QueryRetrieveService] })
export class QueryRetrieveModule {}
