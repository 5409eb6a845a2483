import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { mayAccessExchange } from '@hub/accounts';
import { Study, StudyRepository, TrustRepository } from '@hub/db';
import { QuarantineService, QuarantinedStudyView, mapQuarantinedStudy } from '@hub/routing';
import { PortalCaller, auditActor } from './portal-actor';
import { StudyRestrictionService } from './study-restriction.service';

/** Quarantine through the portal: each user within their trust's scope, every read and action audited. */
@Injectable()
export class QuarantineAccessService {
  constructor(
    private readonly quarantine: QuarantineService,
    private readonly studies: StudyRepository,
    private readonly trusts: TrustRepository,
    private readonly restriction: StudyRestrictionService,
    private readonly audit: AuditService,
  ) {}

  async list(caller: PortalCaller): Promise<QuarantinedStudyView[]> {
    const codes = await this.trusts.codesById();
    const visible = (await this.quarantine.list()).filter((study) =>
      mayAccessExchange(caller.user, exchangeOf(study, codes)),
    );
    await this.audit.record('quarantine-listed', {
      outcome: AuditOutcome.Success,
      actor: auditActor(caller),
      detail: { results: visible.length },
    });
    for (const study of visible.filter((row) => this.restriction.isRestricted(row))) {
      await this.restriction.alertAccess(caller, study, 'listed');
    }
    return visible.map((study) => mapQuarantinedStudy(study, codes));
  }

  async release(caller: PortalCaller, studyId: string) {
    await this.check(caller, studyId, 'released');
    return this.quarantine.release(studyId, auditActor(caller));
  }

  async discard(caller: PortalCaller, studyId: string) {
    await this.check(caller, studyId, 'discarded');
    return this.quarantine.discard(studyId, auditActor(caller));
  }

  private async check(caller: PortalCaller, studyId: string, how: 'released' | 'discarded'): Promise<void> {
    const study = await this.studies.getById(studyId);
    if (!study) {
      throw new NotFoundException(`no study ${studyId}`);
    }
    if (!mayAccessExchange(caller.user, exchangeOf(study, await this.trusts.codesById()))) {
      throw new ForbiddenException(`study ${studyId} is not one of your trust's`);
    }
    if (this.restriction.isRestricted(study)) {
      await this.restriction.alertAccess(caller, study, how);
    }
  }
}

function exchangeOf(study: Study, codes: Map<string, string>) {
  return { sender: codes.get(study.senderTrustId) ?? '', recipient: codes.get(study.recipientTrustId) ?? '' };
}
