import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { AuthUser, Can, ClientAddress, CurrentUser } from '@hub/accounts';
import { TransferAccessService, TransferDetailView, TransferPage } from '@hub/governance';
import { TransferActionsService, TransferCancelView, TransferRetryView } from '@hub/routing';
import { TRANSFER_SORTS } from '@hub/db';
import { uuid } from './params';

@ApiTags('transfers')
@ApiBearerAuth()
@Controller('api/transfers')
@Can('transfers:read')
export class TransfersController {
  constructor(
    private readonly transfers: TransferAccessService,
    private readonly actions: TransferActionsService,
  ) {}

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
  @ApiQuery({ name: 'page', required: false, description: 'from 1; default 1' })
  @ApiQuery({ name: 'pageSize', required: false, description: '1–500; default 50' })
  @ApiQuery({ name: 'sort', required: false, enum: TRANSFER_SORTS, description: 'default received' })
  @ApiQuery({ name: 'order', required: false, enum: ['asc', 'desc'], description: 'default desc' })
  list(
    @AuthUser() user: CurrentUser,
    @Query() query: Record<string, unknown>,
    @ClientAddress() address?: string,
  ): Promise<TransferPage> {
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

  /**
   * "Retry now": a queued (backing off), failed or partially delivered transfer is delivered now; instances
   * the recipient refused go again. Operators, and the recipient trust's trust-admin. Audited.
   */
  @Post(':transferId/retry')
  @HttpCode(200)
  @Can('transfers:manage')
  @ApiOkResponse({
    description: 'queued again; what happened to its delivery job',
    schema: {
      properties: {
        transferId: { type: 'string', format: 'uuid' },
        state: { type: 'string', enum: ['queued'] },
        instancesRequeued: { type: 'integer', description: 'instances the recipient had refused, sent again' },
        job: { type: 'string', enum: ['promoted', 'queued', 'already-waiting', 'running'] },
      },
      example: { transferId: '3f1c…', state: 'queued', instancesRequeued: 0, job: 'promoted' },
    },
  })
  @ApiForbiddenResponse({ description: "not an operator or the recipient trust's trust-admin" })
  @ApiConflictResponse({ description: 'the transfer is in a state that cannot be retried, or has no push node' })
  retry(
    @AuthUser() user: CurrentUser,
    @Param('transferId', uuid('transferId')) transferId: string,
    @ClientAddress() address?: string,
  ): Promise<TransferRetryView> {
    return this.actions.retryNow({ user, address }, transferId);
  }

  /** "Cancel": the transfer is not delivered or pulled again; its files go at expiry. Same roles; audited. */
  @Post(':transferId/cancel')
  @HttpCode(200)
  @Can('transfers:manage')
  @ApiOkResponse({
    description: 'cancelled',
    schema: {
      properties: {
        transferId: { type: 'string', format: 'uuid' },
        state: { type: 'string', enum: ['cancelled'] },
        previousState: { type: 'string' },
      },
      example: { transferId: '3f1c…', state: 'cancelled', previousState: 'queued' },
    },
  })
  @ApiForbiddenResponse({ description: "not an operator or the recipient trust's trust-admin" })
  @ApiConflictResponse({ description: 'the transfer is delivered, expired or already cancelled' })
  cancel(
    @AuthUser() user: CurrentUser,
    @Param('transferId', uuid('transferId')) transferId: string,
    @ClientAddress() address?: string,
  ): Promise<TransferCancelView> {
    return this.actions.cancel({ user, address }, transferId);
  }
}
