import {
  BadRequestException,
  Body,
  Controller,
  Get,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { FetchRequestError, FetchService, FetchView } from '@hub/fetch';
import { ApiTokenGuard } from './api-token.guard';

interface FetchRequestBody {
  from?: unknown;
  to?: unknown;
  folder?: unknown;
  studyInstanceUid?: unknown;
  accessionNumber?: unknown;
  patientId?: unknown;
}

/** Fetch requests ("source it"): ask for a study held at another trust, and follow its progress. */
@Controller('api/fetches')
@UseGuards(ApiTokenGuard)
export class FetchesController {
  constructor(private readonly fetches: FetchService) {}

  @Post()
  async request(@Body() body: FetchRequestBody = {}): Promise<FetchView> {
    const text = (field: keyof FetchRequestBody): string | undefined => {
      const value = body[field];
      if (value !== undefined && value !== null && typeof value !== 'string') {
        throw new BadRequestException({ field, message: `${field}: must be a string` });
      }
      return value ?? undefined;
    };
    try {
      const fetch = await this.fetches.requestFetch({
        from: text('from') ?? '',
        to: text('to') ?? '',
        folder: text('folder') ?? '',
        studyInstanceUid: text('studyInstanceUid'),
        accessionNumber: text('accessionNumber'),
        patientId: text('patientId'),
        requestedBy: 'api-token',
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
  list(@Query('to') to?: string): Promise<FetchView[]> {
    return this.fetches.list({ recipient: to });
  }

  @Get(':id')
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<FetchView> {
    const fetch = await this.fetches.get(id);
    if (!fetch) {
      throw new NotFoundException(`no fetch request ${id}`);
    }
    return fetch;
  }
}
