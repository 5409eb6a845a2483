import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import { StudyRepository, StudyState } from '@hub/db';
import { StudyQueueProducer } from '@hub/queue';

export type CompletionResult =
  { state: 'completed' | 'not-receiving' | 'late-instances' } | { state: 'not-quiet'; retryInMs: number };

/** Study states past completion: an arrival for one of these is a late instance, handled by routing. */
const LATE_STATES: StudyState[] = ['complete', 'routed', 'expired', 'discarded'];

/**
 * Decides that a study is complete: no instance of it has arrived for stableStudySeconds. MySQL
 * holds the arrivals, so the decision survives restarts and Redis loss; the sweep re-schedules
 * whatever is still receiving.
 */
@Injectable()
export class StudyCompletionService {
  private readonly logger = new Logger(StudyCompletionService.name);
  private readonly quietMs: number;

  constructor(
    private readonly studies: StudyRepository,
    private readonly audit: AuditService,
    private readonly studyQueue: StudyQueueProducer,
    @Inject(HUB_CONFIG) config: HubConfig,
  ) {
    this.quietMs = config.hub.stableStudySeconds * 1000;
  }

  async handleCompleteStudy(studyId: string, now = new Date()): Promise<CompletionResult> {
    const study = await this.studies.getById(studyId);
    if (study && LATE_STATES.includes(study.state)) {
      // Instances arrived for a study already complete: routing adds them to its transfer, or purges
      // them when the study's folder time is up or it was discarded.
      await this.studyQueue.scheduleRoute(studyId);
      return { state: 'late-instances' };
    }
    if (!study || study.state !== 'receiving') {
      return { state: 'not-receiving' };
    }
    const lastArrival = (await this.studies.getLastArrival(studyId)) ?? study.lastReceivedAt;
    const quietUntil = lastArrival.getTime() + this.quietMs;
    if (quietUntil > now.getTime()) {
      return { state: 'not-quiet', retryInMs: quietUntil - now.getTime() };
    }
    if (!(await this.studies.markComplete(studyId, now))) {
      return { state: 'not-receiving' };
    }
    await this.studyQueue.scheduleRoute(studyId);
    const completed = await this.studies.getById(studyId);
    this.logger.log(`study ${study.studyInstanceUid} complete (${completed?.instanceCount ?? 0} instances)`);
    await this.audit.record('study-completed', {
      outcome: AuditOutcome.Success,
      actor: { aeTitle: study.calledAeTitle },
      patientId: study.patientId ?? undefined,
      studyInstanceUid: study.studyInstanceUid,
      detail: { studyId, instances: completed?.instanceCount ?? 0, bytes: Number(completed?.totalBytes ?? 0) },
    });
    return { state: 'completed' };
  }

  /** Re-schedules every study still receiving (start-up, and periodically): nothing waits on a lost job. */
  async sweep(now = new Date()): Promise<number> {
    const receiving = await this.studies.getReceiving();
    for (const study of receiving) {
      const due = Math.max(0, study.lastReceivedAt.getTime() + this.quietMs - now.getTime());
      await this.studyQueue.scheduleCompletion(study.id, due);
    }
    if (receiving.length > 0) {
      this.logger.log(`sweep re-scheduled completion of ${receiving.length} receiving stud(ies)`);
    }
    return receiving.length;
  }
}
