import {
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  Get,
  NotFoundException,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuthUser, Can, CurrentUser, trustScope } from '@hub/accounts';
import { FetchRequestError, FetchService, FetchView } from '@hub/fetch';
import { uuid } from './params';

interface FetchRequestBody {
  from?: unknown;
  to?: unknown;
  folder?: unknown;
  studyInstanceUid?: unknown;
  accessionNumber?: unknown;
  patientId?: unknown;
}

/**
 * Fetch requests ("source it"): ask for a study held at another trust, and follow its progress.
 * A trust-admin or clinician asks, and sees, only fetches for its own trust.
 */
@ApiTags('fetches')
@ApiBearerAuth()
@Controller('api/fetches')
export class FetchesController {
  constructor(private readonly fetches: FetchService) {}

  @Post()
  @Can('fetches:request')
  async request(@AuthUser() user: CurrentUser, @Body() body: FetchRequestBody = {}): Promise<FetchView> {
    const text = (field: keyof FetchRequestBody): string | undefined => {
      const value = body[field];
      if (value !== undefined && value !== null && typeof value !== 'string') {
        throw new BadRequestException({ field, message: `${field}: must be a string` });
      }
      return value ?? undefined;
    };
    const scope = trustScope(user);
    const to = text('to') ?? scope ?? '';
    if (scope !== null && to !== scope) {
      throw new ForbiddenException(`to: you may request fetches only for ${scope}`);
    }
    try {
      const fetch = await this.fetches.requestFetch({
        from: text('from') ?? '',
        to,
        folder: text('folder') ?? '',
        studyInstanceUid: text('studyInstanceUid'),
        accessionNumber: text('accessionNumber'),
        patientId: text('patientId'),
        requestedBy: user.username,
      });
      return (await this.fetches.get(fetch.id))!;
    } catch (error) {
      if (error instanceof FetchRequestError) {
        throw new BadRequestException({ field: error.field, message: error.message });
      }
      throw error;
    }
  }

  @Get()
  @Can('fetches:read')
  @ApiQuery({ name: 'to', required: false, description: 'recipient trust code' })
  list(@AuthUser() user: CurrentUser, @Query('to') to?: string): Promise<FetchView[]> {
    const scope = trustScope(user);
    if (scope !== null && to !== undefined && to !== scope) {
      throw new ForbiddenException(`to: you may see fetches only for ${scope}`);
    }
    return this.fetches.list({ recipient: scope ?? to });
  }

  @Get(':id')
  @Can('fetches:read')
  async get(@AuthUser() user: CurrentUser, @Param('id', uuid('id')) id: string): Promise<FetchView> {
    const fetch = await this.fetches.get(id);
    if (!fetch) {
      throw new NotFoundException(`no fetch request ${id}`);
    }
    const scope = trustScope(user);
    if (scope !== null && fetch.to !== scope) {
      throw new ForbiddenException('this fetch request is for another trust');
    }
    return fetch;
  }
}
