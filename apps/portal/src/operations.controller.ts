import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
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
  echo(
    @AuthUser() user: CurrentUser,
    @Param('aeTitle') aeTitle: string,
    @ClientAddress() address?: string,
  ): Promise<NodeEchoView> {
    return this.echoes.echo(aeTitle, { user: user.username, address });
  }
}
