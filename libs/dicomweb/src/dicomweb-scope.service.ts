import { Injectable } from '@nestjs/common';
import { CurrentUser, seesRestrictedStudies, trustScope } from '@hub/accounts';
import { TransferRepository, TrustRepository } from '@hub/db';
import { StudyRestrictionService } from '@hub/governance';
import { PullCatalogService, PullableStudy } from '@hub/query-retrieve';

/** Who reads over DICOMweb: a logged-in user, or the holder of a viewer link (logged in too, when required). */
export interface DicomwebCaller {
  user?: CurrentUser;
  address?: string;
  link?: { id: string; studyId: string; transferId: string };
}

/**
 * What a DICOMweb caller may see, the same folders C-FIND shows a trust's PACS: a trust-bound user their
 * trust's live folders (not expired, not suspended) with the values that trust's coercion rules give;
 * operators and governance every folder, as stored; clinicians never a restricted study; a viewer link its
 * one study, as its recipient sees it.
 */
@Injectable()
export class DicomwebScopeService {
  constructor(
    private readonly catalog: PullCatalogService,
    private readonly transfers: TransferRepository,
    private readonly trusts: TrustRepository,
    private readonly restriction: StudyRestrictionService,
  ) {}

  async visibleStudies(
    caller: DicomwebCaller,
    studyInstanceUids?: string[],
    now = new Date(),
  ): Promise<PullableStudy[]> {
    let visible: PullableStudy[];
    if (caller.link) {
      const linkTransferId = caller.link.transferId;
      const transfer = await this.transfers.getById(linkTransferId);
      const recipient = transfer ? await this.trusts.getById(transfer.recipientTrustId) : null;
      visible = recipient
        ? (await this.catalog.load(recipient, { studyInstanceUids })).filter(
            (pullable) => pullable.transfer.id === linkTransferId,
          )
        : [];
    } else {
      const user = caller.user!;
      const scope = trustScope(user);
      if (scope === null) {
        visible = await this.catalog.loadAll({ studyInstanceUids });
      } else {
        const trust = (await this.trusts.getAll()).find((candidate) => candidate.code === scope);
        visible = trust ? await this.catalog.load(trust, { studyInstanceUids }) : [];
      }
      if (!seesRestrictedStudies(user)) {
        visible = visible.filter((pullable) => !this.restriction.isRestricted(pullable.study));
      }
    }
    return visible.filter((pullable) => pullable.transfer.expiresAt > now);
  }

  /** A Security Alert for each restricted study a user was shown (links are audited as openings). */
  async alertRestricted(caller: DicomwebCaller, shown: PullableStudy[], how: 'listed' | 'viewed'): Promise<void> {
    if (!caller.user) {
      return;
    }
    const seen = new Set<string>();
    for (const pullable of shown) {
      if (!seen.has(pullable.transfer.id) && this.restriction.isRestricted(pullable.study)) {
        seen.add(pullable.transfer.id);
        await this.restriction.alertAccess(
          { user: caller.user, address: caller.address },
          pullable.study,
          how,
          pullable.transfer.id,
        );
      }
    }
  }
}
