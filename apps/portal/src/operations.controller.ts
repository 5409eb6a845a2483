import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, Can, ClientAddress, CurrentUser } from '@hub/accounts';
import { NodeEchoService, NodeEchoView, OperationsService, OperationsView } from '@hub/operations';

@ApiTags('operations')
@ApiBearerAuth()
@Controller('api/operations')
export class OperationsController {
  constructor(
    private readonly operations: OperationsService,
    private readonly echoes: NodeEchoService,
  ) {}

  /** Per push node: queue depth, the transfer waiting longest (emergency first), failed rounds in the last hour; the storage disk. */
  @Get()
  @Can('operations:read')
  overview(): Promise<OperationsView> {
    return this.operations.overview();
  }

  /**
   * "C-ECHO now": the hub's AE sends a C-ECHO to the node and answers how it went (success, the status, or the
   * association refused, rejected, aborted or timed out) with the round-trip time. 200 either way; audited.
   */
  @Post('nodes/:aeTitle/echo')
  @HttpCode(200)
  @Can('operations:echo')
  @ApiNotFoundResponse({ description: 'no active node has this AE title' })
  @ApiOkResponse({
    description: 'how the C-ECHO went',
    schema: {
      properties: {
        aeTitle: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'integer' },
        callingAeTitle: {
          type: 'string',
          description: "the hub's AE title, which it calls from: the node must allow it",
        },
        ok: { type: 'boolean' },
        result: {
          type: 'string',
          enum: ['success', 'status', 'refused', 'rejected', 'aborted', 'timeout', 'network', 'not-answered'],
        },
        status: { type: 'integer', nullable: true, description: 'the C-ECHO-RSP status, when answered' },
        roundTripMs: { type: 'integer', description: 'from connecting to the answer (or the failure)' },
        message: { type: 'string' },
        checkedAt: { type: 'string', format: 'date-time' },
      },
      example: {
        aeTitle: 'RA7_PACS',
        host: '10.1.2.3',
        port: 104,
        callingAeTitle: 'IEP_HUB',
        ok: false,
        result: 'refused',
        status: null,
        roundTripMs: 3,
        message: 'RA7_PACS@10.1.2.3:104: connection refused (nothing listening)',
        checkedAt: '2026-12-03T16:30:00.000Z',
      },
    },
  })
  echo(
    @AuthUser() user: CurrentUser,
    @Param('aeTitle') aeTitle: string,
    @ClientAddress() address?: string,
  ): Promise<NodeEchoView> {
    return this.echoes.echo(aeTitle, { user: user.username, address });
  }
}
