import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { TransferQueryService, TransferView } from '@hub/routing';
import { ApiTokenGuard } from './api-token.guard';

@Controller('api/transfers')
@UseGuards(ApiTokenGuard)
export class TransfersController {
  constructor(private readonly query: TransferQueryService) {}

  /** Filters: state, trust (ODS code, as sender or recipient), folder, withoutReport=true (images but no report). */
  @Get()
  list(
    @Query('state') state?: string,
    @Query('trust') trust?: string,
    @Query('folder') folder?: string,
    @Query('withoutReport') withoutReport?: string,
  ): Promise<TransferView[]> {
    return this.query.listTransfers({ state, trust, folder, withoutReport: withoutReport === 'true' });
  }
}
