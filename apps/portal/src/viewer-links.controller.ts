import { Body, Controller, Delete, Get, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthUser, AuthenticatedRequest, Can, ClientAddress, CurrentUser, Public, SessionService } from '@hub/accounts';
import { NewViewerLinkView, OpenedLink, ViewerLinkService, ViewerLinkView } from '@hub/viewer-links';
import { BadRequestException } from '@nestjs/common';
import { uuid } from './params';

/** Secure viewer links to one study: made, listed and revoked by users of the trust whose folder holds it. */
@ApiTags('viewer-links')
@ApiBearerAuth()
@Controller('api/studies/:studyId/links')
@Can('viewer-links:manage')
export class StudyLinksController {
  constructor(private readonly links: ViewerLinkService) {}

  /** Makes a link (default 72 h, never past the study's folder retention); the token is shown only here. */
  @Post()
  create(
    @AuthUser() user: CurrentUser,
    @Param('studyId', uuid('studyId')) studyId: string,
    @Body() body: { hours?: unknown } = {},
    @ClientAddress() address?: string,
  ): Promise<NewViewerLinkView> {
    if (body.hours !== undefined && typeof body.hours !== 'number') {
      throw new BadRequestException('hours: expected a number');
    }
    return this.links.create({ user, address }, studyId, body.hours as number | undefined);
  }

  @Get()
  list(
    @AuthUser() user: CurrentUser,
    @Param('studyId', uuid('studyId')) studyId: string,
    @ClientAddress() address?: string,
  ): Promise<ViewerLinkView[]> {
    return this.links.list({ user, address }, studyId);
  }

  @Delete(':linkId')
  revoke(
    @AuthUser() user: CurrentUser,
    @Param('studyId', uuid('studyId')) studyId: string,
    @Param('linkId', uuid('linkId')) linkId: string,
    @ClientAddress() address?: string,
  ): Promise<ViewerLinkView> {
    return this.links.revoke({ user, address }, studyId, linkId);
  }
}

/** Opening a viewer link: no log-in needed unless the configuration asks for one; every opening audited. */
@ApiTags('viewer-links')
@Controller('api/viewer-links')
export class ViewerLinkOpenController {
  constructor(
    private readonly links: ViewerLinkService,
    private readonly sessions: SessionService,
  ) {}

  @Public()
  @Get(':token')
  async open(@Param('token') token: string, @Req() request: AuthenticatedRequest): Promise<OpenedLink> {
    const header = request.headers.authorization;
    const bearer = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const user = bearer
      ? await this.sessions.authenticate(bearer, new Date(), { noticeRequired: true }).catch(() => undefined)
      : undefined;
    return this.links.open(token, { user, address: request.ip });
  }
}
