import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Can } from '@hub/accounts';
import { OperationsService, OperationsView } from '@hub/operations';

@ApiTags('operations')
@ApiBearerAuth()
@Controller('api/operations')
@Can('operations:read')
export class OperationsController {
  constructor(private readonly operations: OperationsService) {}

  /** Per push node: queue depth, the transfer waiting longest (emergency first), failed rounds in the last hour; the storage disk. */
  @Get()
  overview(): Promise<OperationsView> {
    return this.operations.overview();
  }
}
