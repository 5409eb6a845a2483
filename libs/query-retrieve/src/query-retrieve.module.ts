import { Module } from '@nestjs/common';
import { PullCatalogService } from './pull-catalog.service';
import { QueryRetrieveService } from './query-retrieve.service';

/** C-FIND/C-MOVE SCP logic for pulling nodes, and the folders they see (also what DICOMweb serves). */
@Module({ providers: [PullCatalogService, QueryRetrieveService], exports: [PullCatalogService, QueryRetrieveService] })
export class QueryRetrieveModule {}
