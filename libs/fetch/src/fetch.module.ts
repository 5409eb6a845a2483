import { Module } from '@nestjs/common';
import { FetchService } from './fetch.service';

/** Fetch requests ("source it"): asked for by the portal and CLI, worked by the forwarder. */
@Module({ providers: [FetchService], exports: [FetchService] })
export class FetchModule {}
