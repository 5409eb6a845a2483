import {
  CallHandler,
  Controller,
  ExecutionContext,
  ForbiddenException,
  Get,
  HttpCode,
  Inject,
  Injectable,
  NestInterceptor,
  NotAcceptableException,
  Options,
  Param,
  Query,
  Req,
  Res,
  UseInterceptors,
  BadRequestException,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthenticatedRequest, Public, SessionService, hasPermission } from '@hub/accounts';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import {
  DicomwebCaller,
  DicomwebService,
  MultipartPart,
  QidoLevel,
  QidoQueryError,
  WadoTarget,
  multipartContentType,
  newBoundary,
  parseQidoQuery,
  writeMultipart,
} from '@hub/dicomweb';
import { ViewerLinkService } from '@hub/viewer-links';
import type { ServerResponse } from 'node:http';
import type { Observable } from 'rxjs';

type DicomwebRequest = AuthenticatedRequest & { protocol?: string };

/** CORS for /dicomweb, for browser viewers on the origins the configuration lists (none by default). */
@Injectable()
export class DicomwebCorsInterceptor implements NestInterceptor {
  constructor(@Inject(HUB_CONFIG) private readonly config: HubConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    allowOrigin(this.config, http.getRequest<DicomwebRequest>(), http.getResponse<ServerResponse>());
    return next.handle();
  }
}

function allowOrigin(config: HubConfig, request: DicomwebRequest, response: ServerResponse): boolean {
  const origin = request.headers.origin;
  const origins = config.dicomweb.corsOrigins;
  if (typeof origin !== 'string' || !(origins.includes('*') || origins.includes(origin))) {
    return false;
  }
  response.setHeader('Access-Control-Allow-Origin', origins.includes('*') ? '*' : origin);
  response.setHeader('Vary', 'Origin');
  response.setHeader('Access-Control-Expose-Headers', 'Content-Type, Content-Location, Content-Length');
  return true;
}

const ROOTS = ['dicomweb', 'dicomweb/links/:token'];
const at = (path: string) => ROOTS.map((root) => (path ? `${root}/${path}` : root));

/**
 * DICOMweb (PS3.18) at /dicomweb for logged-in users (bearer session), and at /dicomweb/links/:token for the
 * holder of a viewer link, which reads its one study only. QIDO-RS searches, WADO-RS retrieves; the logic
 * and the audit are in @hub/dicomweb.
 */
@ApiTags('dicomweb')
@ApiBearerAuth()
@Public()
@Controller()
@UseInterceptors(DicomwebCorsInterceptor)
export class DicomwebController {
  constructor(
    private readonly dicomweb: DicomwebService,
    private readonly sessions: SessionService,
    private readonly links: ViewerLinkService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  @Options(['dicomweb/{*path}', 'dicomweb'])
  @HttpCode(204)
  preflight(@Req() request: DicomwebRequest, @Res({ passthrough: true }) response: ServerResponse): void {
    if (allowOrigin(this.config, request, response)) {
      response.setHeader('Access-Control-Allow-Methods', 'GET, OPTIONS');
      response.setHeader('Access-Control-Allow-Headers', 'Authorization, Accept, Content-Type');
      response.setHeader('Access-Control-Max-Age', '600');
    }
  }

  @Get(at('studies'))
  searchStudies(@Req() request: DicomwebRequest, @Res() response: ServerResponse, @Query() query: object) {
    return this.search(request, response, query, 'study', {});
  }

  @Get(at('studies/:study/series'))
  searchSeries(
    @Req() request: DicomwebRequest,
    @Res() response: ServerResponse,
    @Query() query: object,
    @Param('study') study: string,
  ) {
    return this.search(request, response, query, 'series', { studyInstanceUid: study });
  }

  @Get(at('series'))
  searchAllSeries(@Req() request: DicomwebRequest, @Res() response: ServerResponse, @Query() query: object) {
    return this.search(request, response, query, 'series', {});
  }

  @Get(at('studies/:study/instances'))
  searchStudyInstances(
    @Req() request: DicomwebRequest,
    @Res() response: ServerResponse,
    @Query() query: object,
    @Param('study') study: string,
  ) {
    return this.search(request, response, query, 'instance', { studyInstanceUid: study });
  }

  @Get(at('studies/:study/series/:series/instances'))
  searchSeriesInstances(
    @Req() request: DicomwebRequest,
    @Res() response: ServerResponse,
    @Query() query: object,
    @Param('study') study: string,
    @Param('series') series: string,
  ) {
    return this.search(request, response, query, 'instance', { studyInstanceUid: study, seriesInstanceUid: series });
  }

  @Get(at('instances'))
  searchAllInstances(@Req() request: DicomwebRequest, @Res() response: ServerResponse, @Query() query: object) {
    return this.search(request, response, query, 'instance', {});
  }

  @Get(at('studies/:study'))
  retrieveStudy(@Req() request: DicomwebRequest, @Res() response: ServerResponse, @Param('study') study: string) {
    return this.retrieve(request, response, { studyInstanceUid: study });
  }

  @Get(at('studies/:study/series/:series'))
  retrieveSeries(
    @Req() request: DicomwebRequest,
    @Res() response: ServerResponse,
    @Param('study') study: string,
    @Param('series') series: string,
  ) {
    return this.retrieve(request, response, { studyInstanceUid: study, seriesInstanceUid: series });
  }

  @Get(at('studies/:study/series/:series/instances/:instance'))
  retrieveInstance(
    @Req() request: DicomwebRequest,
    @Res() response: ServerResponse,
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') instance: string,
  ) {
    return this.retrieve(request, response, {
      studyInstanceUid: study,
      seriesInstanceUid: series,
      sopInstanceUid: instance,
    });
  }

  @Get(at('studies/:study/metadata'))
  studyMetadata(@Req() request: DicomwebRequest, @Res() response: ServerResponse, @Param('study') study: string) {
    return this.metadata(request, response, { studyInstanceUid: study });
  }

  @Get(at('studies/:study/series/:series/metadata'))
  seriesMetadata(
    @Req() request: DicomwebRequest,
    @Res() response: ServerResponse,
    @Param('study') study: string,
    @Param('series') series: string,
  ) {
    return this.metadata(request, response, { studyInstanceUid: study, seriesInstanceUid: series });
  }

  @Get(at('studies/:study/series/:series/instances/:instance/metadata'))
  instanceMetadata(
    @Req() request: DicomwebRequest,
    @Res() response: ServerResponse,
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') instance: string,
  ) {
    return this.metadata(request, response, {
      studyInstanceUid: study,
      seriesInstanceUid: series,
      sopInstanceUid: instance,
    });
  }

  @Get(at('studies/:study/series/:series/instances/:instance/frames/:frames'))
  async frames(
    @Req() request: DicomwebRequest,
    @Res() response: ServerResponse,
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') instance: string,
    @Param('frames') frames: string,
  ) {
    const numbers = frames.split(',').map((part) => Number(part.trim()));
    if (numbers.length === 0 || numbers.some((number) => !Number.isInteger(number) || number < 1)) {
      throw new BadRequestException('frames: expected a comma-separated list of frame numbers from 1');
    }
    const target = { studyInstanceUid: study, seriesInstanceUid: series, sopInstanceUid: instance };
    const caller = await this.caller(request);
    const [selected] = await this.dicomweb.select(caller, target);
    const parts = await this.dicomweb.frameParts(selected, numbers);
    await this.dicomweb.auditRetrieve(caller, [selected], 'frames', target);
    await this.sendParts(response, 'application/octet-stream', parts);
  }

  @Get(at('studies/:study/series/:series/instances/:instance/bulkdata/:tag'))
  async bulkData(
    @Req() request: DicomwebRequest,
    @Res() response: ServerResponse,
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') instance: string,
    @Param('tag') tag: string,
  ) {
    if (!/^[0-9A-Fa-f]{8}$/.test(tag)) {
      throw new BadRequestException('tag: expected eight hexadecimal digits');
    }
    const target = { studyInstanceUid: study, seriesInstanceUid: series, sopInstanceUid: instance };
    const caller = await this.caller(request);
    const [selected] = await this.dicomweb.select(caller, target);
    const parts =
      tag.toUpperCase() === '7FE00010'
        ? await this.dicomweb.frameParts(selected, 'all')
        : await this.dicomweb.bulkData(selected, tag.toUpperCase());
    await this.dicomweb.auditRetrieve(caller, [selected], 'bulkdata', target);
    await this.sendParts(response, 'application/octet-stream', parts);
  }

  @Get(at('studies/:study/series/:series/instances/:instance/rendered'))
  async rendered(
    @Req() request: DicomwebRequest,
    @Res() response: ServerResponse,
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') instance: string,
  ) {
    const target = { studyInstanceUid: study, seriesInstanceUid: series, sopInstanceUid: instance };
    const caller = await this.caller(request);
    const [selected] = await this.dicomweb.select(caller, target);
    const document = await this.dicomweb.renderedDocument(selected);
    await this.dicomweb.auditRetrieve(caller, [selected], 'rendered', target);
    response.statusCode = 200;
    response.setHeader('Content-Type', document.contentType);
    response.setHeader('Content-Disposition', 'inline');
    response.end(document.body);
  }

  private async search(
    request: DicomwebRequest,
    response: ServerResponse,
    query: object,
    level: QidoLevel,
    within: { studyInstanceUid?: string; seriesInstanceUid?: string },
  ) {
    const caller = await this.caller(request);
    let parsed;
    try {
      parsed = parseQidoQuery(query as Record<string, unknown>);
    } catch (error) {
      if (error instanceof QidoQueryError) {
        throw new BadRequestException(error.message);
      }
      throw error;
    }
    const results = await this.dicomweb.search(caller, level, parsed, within, this.baseUrl(request));
    sendJson(response, results);
  }

  private async retrieve(request: DicomwebRequest, response: ServerResponse, target: WadoTarget) {
    const accept = String(request.headers.accept ?? '*/*');
    if (!/multipart\/related|\*\/\*|application\/dicom(?!\+)/.test(accept)) {
      throw new NotAcceptableException('instances are sent as multipart/related; type="application/dicom"');
    }
    const caller = await this.caller(request);
    const selected = await this.dicomweb.select(caller, target);
    await this.dicomweb.auditRetrieve(caller, selected, 'instances', target);
    const boundary = newBoundary();
    response.statusCode = 200;
    response.setHeader('Content-Type', multipartContentType('application/dicom', boundary));
    try {
      await writeMultipart(response, boundary, this.dicomweb.instanceParts(selected, this.baseUrl(request)));
      response.end();
    } catch {
      // Headers are gone: all the client can be told is that the answer ended early.
      response.destroy();
    }
  }

  private async metadata(request: DicomwebRequest, response: ServerResponse, target: WadoTarget) {
    const caller = await this.caller(request);
    const selected = await this.dicomweb.select(caller, target);
    const metadata = await this.dicomweb.metadata(selected, this.baseUrl(request));
    await this.dicomweb.auditRetrieve(caller, selected, 'metadata', target);
    sendJson(response, metadata);
  }

  private async sendParts(response: ServerResponse, type: string, parts: MultipartPart[]) {
    const boundary = newBoundary();
    response.statusCode = 200;
    response.setHeader('Content-Type', multipartContentType(type, boundary));
    await writeMultipart(response, boundary, iterate(parts));
    response.end();
  }

  /** The session's user, or the viewer link's holder (and user, when the configuration wants both). */
  private async caller(request: DicomwebRequest): Promise<DicomwebCaller> {
    const address = request.ip;
    const header = request.headers.authorization;
    const bearer = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const token = (request as unknown as { params?: { token?: string } }).params?.token;
    if (token !== undefined) {
      const user = bearer
        ? await this.sessions.authenticate(bearer, new Date(), { noticeRequired: true }).catch(() => undefined)
        : undefined;
      const link = await this.links.resolve(token, { user, address });
      return { user, address, link: { id: link.linkId, studyId: link.studyId, transferId: link.transferId } };
    }
    const user = await this.sessions.authenticate(bearer, new Date(), { noticeRequired: true });
    if (!hasPermission(user, 'dicomweb:read')) {
      throw new ForbiddenException(`your role (${user.role}) may not read DICOMweb`);
    }
    return { user, address };
  }

  /** This request's DICOMweb root as the client reached it, for RetrieveURL and BulkDataURI. */
  private baseUrl(request: DicomwebRequest): string {
    const token = (request as unknown as { params?: { token?: string } }).params?.token;
    const host = String(request.headers.host ?? 'localhost');
    return `${request.protocol ?? 'http'}://${host}/dicomweb${token !== undefined ? `/links/${token}` : ''}`;
  }
}

function sendJson(response: ServerResponse, body: unknown) {
  response.statusCode = 200;
  response.setHeader('Content-Type', 'application/dicom+json');
  response.end(JSON.stringify(body));
}

async function* iterate<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) {
    yield await Promise.resolve(item);
  }
}
