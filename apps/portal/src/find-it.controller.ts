import { BadRequestException, Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, Can, ClientAddress, CurrentUser } from '@hub/accounts';
import { FindItAnswer, FindItInput, FindItService } from '@hub/find-it';

/** Find it: where has this patient been imaged (at the hub, and at the trusts that share with yours)? */
@ApiTags('find-it')
@ApiBearerAuth()
@Controller('api/find-it')
export class FindItController {
  constructor(private readonly findIt: FindItService) {}

  @Post()
  @HttpCode(200)
  @Can('find-it:search')
  search(
    @AuthUser() user: CurrentUser,
    @Body() body: Record<string, unknown> = {},
    @ClientAddress() address?: string,
  ): Promise<FindItAnswer> {
    const input: FindItInput = {};
    for (const field of ['nhsNumber', 'patientId', 'issuer', 'trust'] as const) {
      const value = body[field];
      if (value !== undefined && value !== null) {
        if (typeof value !== 'string') {
          throw new BadRequestException(`${field}: must be a string`);
        }
        input[field] = value;
      }
    }
    return this.findIt.search({ user, address }, input);
  }
}
