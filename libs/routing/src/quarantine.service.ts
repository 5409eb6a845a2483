import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { AuditActor, AuditOutcome, AuditService } from '@hub/audit';
import { Study, StudyRepository } from '@hub/db';
import { StudyPurgeService } from './study-purge.service';
import { RouteResult, RoutingService } from './routing.service';
import { studySubject } from './study-subject';

/** What governance and trust admins do with an unroutable study: release it once allowed, or discard it. */
@Injectable()
export class QuarantineService {
  constructor(
    private readonly studies: StudyRepository,
    private readonly routing: RoutingService,
    private readonly purge: StudyPurgeService,
    private readonly audit: AuditService,
  ) {}

  async list(): Promise<Study[]> {
    return this.studies.getByState('quarantined');
  }

  /** Routes a quarantined study again; still quarantined (409) when no agreement allows it yet. */
  async release(studyId: string, actor: AuditActor): Promise<RouteResult> {
    const study = await this.getQuarantined(studyId);
    await this.studies.transition(study.id, ['quarantined'], 'complete', { quarantineReason: null });
    const result = await this.routing.handleRouteStudy(study.id);
    const released = result.state === 'routed';
    await this.audit.record('quarantine-released', {
      outcome: released ? AuditOutcome.Success : AuditOutcome.MinorFailure,
      ...studySubject(study, await this.routing.trustCodes(), actor),
      detail: { studyId: study.id },
    });
    if (result.state === 'quarantined') {
      throw new ConflictException(`study is still unroutable: ${result.reason}`);
    }
    return result;
  }

  /** Purges a quarantined study's files; its record and audit stay. */
  async discard(studyId: string, actor: AuditActor, now = new Date()): Promise<{ instancesPurged: number }> {
    const study = await this.getQuarantined(studyId);
    if (!(await this.studies.transition(study.id, ['quarantined'], 'discarded'))) {
      throw new ConflictException('study is no longer quarantined');
    }
    const instancesPurged = await this.purge.purgeStudyFiles(study.id, now);
    await this.audit.record('quarantine-discarded', {
      outcome: AuditOutcome.Success,
      ...studySubject(study, await this.routing.trustCodes(), actor),
      detail: { studyId: study.id, instancesPurged },
    });
    return { instancesPurged };
  }

  private async getQuarantined(studyId: string): Promise<Study> {
    const study = await this.studies.getById(studyId);
    if (!study) {
      throw new NotFoundException(`no study ${studyId}`);
    }
    if (study.state !== 'quarantined') {
      throw new ConflictException(`study ${studyId} is ${study.state}, not quarantined`);
    }
    return study;
  }
}
