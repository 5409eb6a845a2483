import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  GoneException,
  Inject,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { CurrentUser, hashSessionToken, newSessionToken, seesRestrictedStudies, trustScope } from '@hub/accounts';
import { AuditOutcome, AuditService } from '@hub/audit';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import {
  PULLABLE_TRANSFER_STATES,
  Study,
  StudyRepository,
  Transfer,
  TransferRepository,
  TrustRepository,
  ViewerLink,
  ViewerLinkRepository,
} from '@hub/db';
import { StudyRestrictionService } from '@hub/governance';

export interface LinkCaller {
  user?: CurrentUser;
  address?: string;
}

/** A link as its maker sees it; the token only once, when it is made. */
export interface ViewerLinkView {
  id: string;
  studyId: string;
  studyInstanceUid: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  state: 'active' | 'expired' | 'revoked';
}

export interface NewViewerLinkView extends ViewerLinkView {
  token: string;
  /** The viewer page for the link, relative to the portal's address: the text to put in a report. */
  url: string;
}

/** What a valid link grants: DICOMweb read of its one study, at this root. */
export interface OpenedLink {
  linkId: string;
  studyId: string;
  transferId: string;
  studyInstanceUid: string;
  expiresAt: string;
  dicomwebRoot: string;
}

/**
 * Secure viewer links: a random token, stored hashed, that lets whoever holds it read one study over
 * DICOMweb until it expires (at most when the study leaves its folder) or is revoked. Users of the trust
 * whose folder holds the study make them; every use and every refusal is audited with the address.
 */
@Injectable()
export class ViewerLinkService {
  constructor(
    private readonly links: ViewerLinkRepository,
    private readonly studies: StudyRepository,
    private readonly transfers: TransferRepository,
    private readonly trusts: TrustRepository,
    private readonly restriction: StudyRestrictionService,
    private readonly audit: AuditService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async create(
    caller: LinkCaller & { user: CurrentUser },
    studyId: string,
    hours?: number,
    now = new Date(),
  ): Promise<NewViewerLinkView> {
    if (hours !== undefined && (!Number.isFinite(hours) || hours <= 0 || hours > 8760)) {
      throw new BadRequestException('hours: expected a number of hours above 0, at most 8760');
    }
    const { study, transfer, codes } = await this.studyInFolder(caller, studyId, now);
    const requested = new Date(now.getTime() + (hours ?? this.config.viewerLinks.defaultHours) * 3600_000);
    const expiresAt = requested < transfer.expiresAt ? requested : transfer.expiresAt;
    const token = newSessionToken();
    const link = await this.links.create({
      studyId: study.id,
      transferId: transfer.id,
      tokenHash: hashSessionToken(token),
      createdBy: caller.user.username,
      expiresAt,
    });
    await this.audit.record('viewer-link-created', {
      outcome: AuditOutcome.Success,
      actor: { user: caller.user.username, address: caller.address },
      sourceTrust: codes.sender,
      destinationTrust: codes.recipient,
      patientId: study.patientId ?? undefined,
      studyInstanceUid: study.studyInstanceUid,
      detail: { linkId: link.id, studyId: study.id, transferId: transfer.id, expiresAt: expiresAt.toISOString() },
    });
    return { ...mapLink(link, study, now), token, url: `/viewer/links/${token}` };
  }

  async list(caller: LinkCaller & { user: CurrentUser }, studyId: string, now = new Date()): Promise<ViewerLinkView[]> {
    const { study } = await this.studyInFolder(caller, studyId, now, { liveOnly: false });
    return (await this.links.listForStudy(study.id)).map((link) => mapLink(link, study, now));
  }

  async revoke(caller: LinkCaller & { user: CurrentUser }, studyId: string, linkId: string, now = new Date()) {
    const { study, codes } = await this.studyInFolder(caller, studyId, now, { liveOnly: false });
    const link = await this.links.getById(linkId);
    if (!link || link.studyId !== study.id) {
      throw new NotFoundException(`no link ${linkId} to this study`);
    }
    if (!(await this.links.revoke(link.id, caller.user.username, now))) {
      throw new ConflictException('this link was already revoked');
    }
    await this.audit.record('viewer-link-revoked', {
      outcome: AuditOutcome.Success,
      actor: { user: caller.user.username, address: caller.address },
      sourceTrust: codes.sender,
      destinationTrust: codes.recipient,
      patientId: study.patientId ?? undefined,
      studyInstanceUid: study.studyInstanceUid,
      detail: { linkId: link.id, studyId: study.id },
    });
    return mapLink({ ...link, revokedAt: now, revokedBy: caller.user.username }, study, now);
  }

  /**
   * The link a token names, if it still opens: 404 for a token the hub never issued, 410 for one revoked,
   * expired or whose study has left its folder, 401 when a log-in is required and there is none. Every
   * refusal is a Security Alert with the address.
   */
  async resolve(token: string, caller: LinkCaller, now = new Date()): Promise<OpenedLink & { study: Study }> {
    const link = /^[A-Za-z0-9_-]{20,100}$/.test(token)
      ? await this.links.getByTokenHash(hashSessionToken(token))
      : null;
    if (!link) {
      await this.refuse(caller, 'unknown token');
      throw new NotFoundException('no such viewer link');
    }
    const transfer = await this.transfers.getById(link.transferId);
    const study = await this.studies.getById(link.studyId);
    const reason = link.revokedAt
      ? 'revoked'
      : link.expiresAt <= now
        ? 'expired'
        : !transfer || !study || !PULLABLE_TRANSFER_STATES.includes(transfer.state) || transfer.expiresAt <= now
          ? 'study no longer in its folder'
          : undefined;
    if (reason) {
      await this.refuse(caller, reason, link.id);
      throw new GoneException(`this viewer link no longer opens: ${reason}`);
    }
    if (this.config.viewerLinks.requireLogin && !caller.user) {
      await this.refuse(caller, 'log-in required', link.id);
      throw new UnauthorizedException('this viewer link needs a log-in as well');
    }
    return {
      linkId: link.id,
      studyId: link.studyId,
      transferId: link.transferId,
      studyInstanceUid: study!.studyInstanceUid,
      expiresAt: link.expiresAt.toISOString(),
      dicomwebRoot: `/dicomweb/links/${token}`,
      study: study!,
    };
  }

  /** Someone opened the link (the viewer page loads it first): audited with the link's id and the address. */
  async open(token: string, caller: LinkCaller, now = new Date()): Promise<OpenedLink> {
    const { study, ...opened } = await this.resolve(token, caller, now);
    const codes = await this.trusts.codesById();
    const transfer = await this.transfers.getById(opened.transferId);
    await this.audit.record('viewer-link-opened', {
      outcome: AuditOutcome.Success,
      actor: { user: caller.user?.username, address: caller.address },
      sourceTrust: transfer ? codes.get(transfer.senderTrustId) : undefined,
      destinationTrust: transfer ? codes.get(transfer.recipientTrustId) : undefined,
      patientId: study.patientId ?? undefined,
      studyInstanceUid: study.studyInstanceUid,
      detail: { linkId: opened.linkId, studyId: study.id },
    });
    return opened;
  }

  private async refuse(caller: LinkCaller, reason: string, linkId?: string) {
    await this.audit.record('viewer-link-refused', {
      outcome: AuditOutcome.MinorFailure,
      actor: { user: caller.user?.username, address: caller.address },
      detail: { ...(linkId ? { linkId } : {}), reason },
    });
  }

  /** The study, in a folder of the caller's trust (any trust for operators), visible to the caller. */
  private async studyInFolder(
    caller: LinkCaller & { user: CurrentUser },
    studyId: string,
    now: Date,
    options = { liveOnly: true },
  ): Promise<{ study: Study; transfer: Transfer; codes: { sender?: string; recipient?: string } }> {
    const study = await this.studies.getById(studyId);
    const transfer = study ? await this.transfers.getByStudy(study.id) : null;
    if (!study || !transfer) {
      throw new NotFoundException(`no study ${studyId} in a folder`);
    }
    const trustCodes = await this.trusts.codesById();
    const codes = {
      sender: trustCodes.get(transfer.senderTrustId),
      recipient: trustCodes.get(transfer.recipientTrustId),
    };
    const scope = trustScope(caller.user);
    if (scope !== null && codes.recipient !== scope) {
      throw new ForbiddenException(`study ${studyId} is not in a folder of ${scope}`);
    }
    if (this.restriction.isRestricted(study)) {
      if (!seesRestrictedStudies(caller.user)) {
        await this.restriction.alertAccess(
          { user: caller.user, address: caller.address },
          study,
          'refused',
          transfer.id,
        );
        throw new NotFoundException(`no study ${studyId} in a folder`);
      }
      await this.restriction.alertAccess({ user: caller.user, address: caller.address }, study, 'viewed', transfer.id);
    }
    if (options.liveOnly && (!PULLABLE_TRANSFER_STATES.includes(transfer.state) || transfer.expiresAt <= now)) {
      throw new ConflictException(`study ${studyId} is no longer available in its folder (${transfer.state})`);
    }
    return { study, transfer, codes };
  }
}

function mapLink(link: ViewerLink, study: Study, now: Date): ViewerLinkView {
  return {
    id: link.id,
    studyId: link.studyId,
    studyInstanceUid: study.studyInstanceUid,
    createdBy: link.createdBy,
    createdAt: link.createdAt.toISOString(),
    expiresAt: link.expiresAt.toISOString(),
    revokedAt: link.revokedAt?.toISOString() ?? null,
    state: link.revokedAt ? 'revoked' : link.expiresAt <= now ? 'expired' : 'active',
  };
}
