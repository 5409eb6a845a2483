import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuthUser, Can, ClientAddress, CurrentUser } from '@hub/accounts';
import { TransferAccessService, TransferDetailView, TransferListView } from '@hub/governance';
import { uuid } from './params';

@ApiTags('transfers')
@ApiBearerAuth()
@Controller('api/transfers')
@Can('transfers:read')
export class TransfersController {
  constructor(private readonly transfers: TransferAccessService) {}

  /** Trust-admins and clinicians see their own trust's transfers; clinicians never see restricted studies. */
  @Get()
  @ApiQuery({ name: 'state', required: false })
  @ApiQuery({ name: 'trust', required: false, description: 'ODS code, as sender or recipient' })
  @ApiQuery({ name: 'folder', required: false, enum: ['emergency', 'elective'] })
  @ApiQuery({ name: 'withoutReport', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'patientId', required: false })
  @ApiQuery({ name: 'studyInstanceUid', required: false })
  @ApiQuery({ name: 'accessionNumber', required: false })
  @ApiQuery({ name: 'from', required: false, description: 'created at or after (ISO date-time)' })
  @ApiQuery({ name: 'to', required: false, description: 'created before (ISO date-time)' })
  list(
    @AuthUser() user: CurrentUser,
    @Query() query: Record<string, unknown>,
    @ClientAddress() address?: string,
  ): Promise<TransferListView[]> {
    return this.transfers.list({ user, address }, query);
  }

  /** One transfer with its study and the timeline of its audit events. */
  @Get(':transferId')
  detail(
    @AuthUser() user: CurrentUser,
    @Param('transferId', uuid('transferId')) transferId: string,
    @ClientAddress() address?: string,
  ): Promise<TransferDetailView> {
    return this.transfers.detail({ user, address }, transferId);
  }
}
