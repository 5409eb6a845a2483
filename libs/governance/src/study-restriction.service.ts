import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { HUB_CONFIG, HubConfig, restrictedPatients } from '@hub/config';
import { Study, StudyRepository, TrustRepository } from '@hub/db';
import { PortalCaller, auditActor } from './portal-actor';

type RestrictedAccess = 'listed' | 'viewed' | 'refused' | 'released' | 'discarded';

/**
 * Sensitive studies. A study is restricted when an operator flagged it, or when its patient ID is in
 * the configuration's restrictedPatientIds (the rule holds for every study of that patient, stored
 * before or after the rule was written). Clinicians never see one; any other access raises a Security Alert.
 */
@Injectable()
export class StudyRestrictionService {
  private readonly restrictedPatients: Set<string>;

  constructor(
    private readonly studies: StudyRepository,
    private readonly trusts: TrustRepository,
    private readonly audit: AuditService,
    @Inject(HUB_CONFIG) config: HubConfig,
  ) {
    this.restrictedPatients = new Set(restrictedPatients(config).keys());
  }

  get restrictedPatientIds(): string[] {
    return [...this.restrictedPatients];
  }

  isRestricted(study: Pick<Study, 'restricted' | 'patientId'>): boolean {
    return study.restricted || (study.patientId !== null && this.restrictedPatients.has(study.patientId));
  }

  async alertAccess(caller: PortalCaller, study: Study, how: RestrictedAccess, transferId?: string): Promise<void> {
    await this.audit.record('restricted-study-accessed', {
      outcome: how === 'refused' ? AuditOutcome.MinorFailure : AuditOutcome.Success,
      ...(await this.subject(caller, study)),
      detail: { studyId: study.id, ...(transferId ? { transferId } : {}), how },
    });
  }

  /** Operator: flags a study sensitive, or lifts the flag (not while the configuration rule names its patient). */
  async setRestricted(caller: PortalCaller, studyId: string, restricted: boolean) {
    const study = await this.studies.getById(studyId);
    if (!study) {
      throw new NotFoundException(`no study ${studyId}`);
    }
    if (!restricted && study.patientId !== null && this.restrictedPatients.has(study.patientId)) {
      throw new ConflictException('the configuration restricts this patient (restrictedPatientIds); edit it there');
    }
    await this.studies.setRestricted(study.id, restricted);
    await this.audit.record('study-restriction-changed', {
      outcome: AuditOutcome.Success,
      ...(await this.subject(caller, study)),
      detail: { studyId: study.id, restricted },
    });
    return { studyId: study.id, restricted: this.isRestricted({ ...study, restricted }) };
  }

  private async subject(caller: PortalCaller, study: Study) {
    const codes = await this.trusts.codesById();
    return {
      actor: auditActor(caller),
      sourceTrust: codes.get(study.senderTrustId),
      destinationTrust: codes.get(study.recipientTrustId),
      patientId: study.patientId ?? undefined,
      studyInstanceUid: study.studyInstanceUid,
    };
  }
}
