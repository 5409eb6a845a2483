import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { DicomPullPolicy, HUB_CONFIG, HubConfig, restrictedPatients } from '@hub/config';
import { DicomNode, InstanceRecord, NodeRepository, TransferRepository, Trust } from '@hub/db';
import { sendAndRecord } from '@hub/delivery';
import {
  DimseStatus,
  FailureClass,
  InstanceOutcome,
  MoveOutcome,
  QueryIdentifier,
  QueryOutcome,
  QueryRetrieveSession,
  SubOperationCounts,
  formatStatus,
  isStoredStatus,
  scuTargetFor,
} from '@hub/dicom';
import { StorageService } from '@hub/storage';
import { INSTANCE_MATCH_KEYS, STUDY_MATCH_KEYS, matchesAll } from './catalog-match';
import { PullCatalogService, PullableStudy } from './pull-catalog.service';

/** C-MOVE answers are written once its association has ended (or past the recorder's batch), as before. */
const RECORD_AT_END_MS = 60 * 60 * 1000;

/** The unique key of each query level (PS3.4 C.6.1.1). */
const STUDY_KEYS_BY_LEVEL: Record<QueryIdentifier['level'], string> = {
  PATIENT: 'PatientID',
  STUDY: 'StudyInstanceUID',
  SERIES: 'SeriesInstanceUID',
  IMAGE: 'SOPInstanceUID',
};

export interface QueryRetrieveCaller {
  node: DicomNode;
  trust: Trust;
  peerAddress: string;
  calledAeTitle: string;
}

interface Match {
  pullable: PullableStudy;
  instance?: InstanceRecord;
  view: Record<string, string>;
}

/**
 * C-FIND and C-MOVE on the hub AE for a recipient trust's pulling nodes: they see only the studies
 * filed in their own trust's live folders, with the values their coercion rules give, and may move
 * them only to their own trust's nodes. Every query and retrieve is audited; a move elsewhere is a
 * Security Alert.
 */
@Injectable()
export class QueryRetrieveService {
  private readonly logger = new Logger(QueryRetrieveService.name);
  /** Restricted patients and what their recipient's PACS may do with their studies over DICOM. */
  private readonly restrictedPatients: Map<string, DicomPullPolicy>;

  constructor(
    private readonly catalog: PullCatalogService,
    private readonly nodes: NodeRepository,
    private readonly transfers: TransferRepository,
    private readonly storage: StorageService,
    private readonly audit: AuditService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {
    this.restrictedPatients = restrictedPatients(config);
  }

  /** The query/retrieve service for one association; none for a node that receives nothing. */
  openSession(caller: QueryRetrieveCaller): QueryRetrieveSession | undefined {
    if (caller.node.receiveMode === 'none') {
      return undefined;
    }
    return {
      find: (query, match, cancelled) => this.find(caller, query, match, cancelled),
      move: (query, destination, progress, cancelled) => this.move(caller, query, destination, progress, cancelled),
    };
  }

  async find(
    caller: QueryRetrieveCaller,
    query: QueryIdentifier,
    emit: (identifier: Record<string, string>) => void,
    cancelled: () => boolean,
  ): Promise<QueryOutcome> {
    const matches = await this.match(caller, query);
    let sent = 0;
    const restricted = new Map<string, PullableStudy>();
    for (const match of matches) {
      if (cancelled()) {
        break;
      }
      emit(this.responseIdentifier(query, match.view));
      sent++;
      if (this.isRestricted(match.pullable)) {
        restricted.set(match.pullable.transfer.id, match.pullable);
      }
    }
    for (const pullable of restricted.values()) {
      await this.alertRestricted(caller, pullable, 'queried');
    }
    await this.audit.record('query-performed', {
      outcome: AuditOutcome.Success,
      actor: { aeTitle: caller.node.aeTitle, address: caller.peerAddress },
      destinationTrust: caller.trust.code,
      patientId: singleValue(query.keys.PatientID),
      studyInstanceUid: singleValue(query.keys.StudyInstanceUID),
      detail: {
        calledAeTitle: caller.calledAeTitle,
        model: query.model,
        level: query.level,
        keys: query.keys,
        matches: sent,
        status: formatStatus(cancelled() ? DimseStatus.Cancel : DimseStatus.Success),
      },
    });
    return { status: DimseStatus.Success };
  }

  async move(
    caller: QueryRetrieveCaller,
    query: QueryIdentifier,
    destinationAeTitle: string,
    progress: (counts: SubOperationCounts) => void,
    cancelled: () => boolean,
  ): Promise<MoveOutcome> {
    const counts: SubOperationCounts = { remaining: 0, completed: 0, failed: 0, warning: 0 };
    const destination = await this.nodes.getByAeTitle(destinationAeTitle);
    if (!destination || !destination.active || destination.trustId !== caller.trust.id) {
      const reason = !destination?.active
        ? 'move destination unknown'
        : `move destination ${destinationAeTitle} belongs to another trust`;
      this.logger.warn(`C-MOVE from ${caller.node.aeTitle} to ${destinationAeTitle} refused: ${reason}`);
      await this.audit.record('retrieve-refused', {
        outcome: AuditOutcome.SeriousFailure,
        actor: { aeTitle: caller.node.aeTitle, address: caller.peerAddress },
        destinationTrust: caller.trust.code,
        studyInstanceUid: singleValue(query.keys.StudyInstanceUID),
        detail: { destination: destinationAeTitle, reason, level: query.level },
      });
      return { status: DimseStatus.MoveDestinationUnknown, comment: reason, counts };
    }
    const uniqueKey = STUDY_KEYS_BY_LEVEL[query.level];
    if (!query.keys[uniqueKey]) {
      return {
        status: DimseStatus.IdentifierDoesNotMatch,
        comment: `${uniqueKey} is required at ${query.level} level`,
        counts,
      };
    }
    const matches = await this.match(caller, { ...query, level: 'IMAGE' });
    // One SOP instance once, even if two exchanges of the study hold it.
    const seen = new Set<string>();
    const byTransfer = new Map<string, { pullable: PullableStudy; instances: InstanceRecord[] }>();
    for (const { pullable, instance } of matches) {
      if (!instance || seen.has(instance.sopInstanceUid)) {
        continue;
      }
      seen.add(instance.sopInstanceUid);
      const group = byTransfer.get(pullable.transfer.id) ?? { pullable, instances: [] };
      group.instances.push(instance);
      byTransfer.set(pullable.transfer.id, group);
    }
    counts.remaining = seen.size;
    let associationFailure: string | undefined;
    for (const { pullable, instances } of byTransfer.values()) {
      if (cancelled()) {
        break;
      }
      const result = await this.sendGroup(caller, destination, pullable, instances, counts, progress);
      associationFailure ??= result.error;
      // A destination that rejects the hub for good would reject each next association the same way.
      if (result.failureClass === 'permanent') {
        break;
      }
    }
    const status =
      counts.failed === 0 && counts.remaining === 0
        ? DimseStatus.Success
        : cancelled()
          ? DimseStatus.Cancel
          : counts.completed === 0 && counts.warning === 0 && associationFailure
            ? DimseStatus.UnableToPerformSubOperations
            : DimseStatus.SubOperationsWithFailures;
    // Whatever was never attempted (cancelled, association lost) counts as failed in the final response.
    const final = {
      ...counts,
      failed: counts.failed + (status === DimseStatus.Cancel ? 0 : counts.remaining),
      remaining: 0,
    };
    return { status, comment: associationFailure, counts: status === DimseStatus.Cancel ? counts : final };
  }

  private async sendGroup(
    caller: QueryRetrieveCaller,
    destination: DicomNode,
    pullable: PullableStudy,
    instances: InstanceRecord[],
    counts: SubOperationCounts,
    progress: (counts: SubOperationCounts) => void,
  ): Promise<{ error?: string; failureClass?: FailureClass }> {
    const now = new Date();
    const onOutcome = (outcome: InstanceOutcome) => {
      counts.remaining--;
      if (outcome.status === 0) {
        counts.completed++;
      } else if (isStoredStatus(outcome.status)) {
        counts.warning++;
      } else {
        counts.failed++;
      }
      progress({ ...counts });
    };
    const transferId = pullable.transfer.id;
    // Answers are recorded once the association has ended (the recorder writes early only past its batch).
    const { outcomes, failure, failureClass } = await sendAndRecord(this.transfers, {
      transferId,
      target: scuTargetFor(destination, this.config.hub),
      instances: instances.map((instance) => ({
        id: instance.id,
        sopClassUid: instance.sopClassUid,
        sopInstanceUid: instance.sopInstanceUid,
        transferSyntaxUid: instance.transferSyntaxUid,
        path: this.storage.absolute(instance.storagePath),
      })),
      coercion: { rules: pullable.rules, context: pullable.context },
      recordEveryMs: RECORD_AT_END_MS,
      onOutcome,
    });
    const error = failure?.message;
    const { delivered, total } = await this.transfers.countByState(transferId);
    if (delivered === total && total > 0) {
      await this.transfers.transition(transferId, ['awaiting-pull', 'partially-delivered', 'failed'], 'delivered', {
        deliveredAt: now,
      });
    }
    const completed = outcomes.filter((outcome) => isStoredStatus(outcome.status)).length;
    if (this.isRestricted(pullable)) {
      await this.alertRestricted(caller, pullable, 'retrieved');
    }
    await this.audit.record('instances-retrieved', {
      outcome:
        completed === instances.length
          ? AuditOutcome.Success
          : completed > 0
            ? AuditOutcome.MinorFailure
            : AuditOutcome.SeriousFailure,
      actor: { aeTitle: caller.node.aeTitle, address: caller.peerAddress },
      sourceTrust: pullable.context.sender.code,
      destinationTrust: caller.trust.code,
      patientId: pullable.study.patientId ?? undefined,
      studyInstanceUid: pullable.study.studyInstanceUid,
      detail: {
        transferId,
        destination: `${destination.aeTitle}@${destination.host}:${destination.port}`,
        instances: instances.length,
        completed: outcomes.filter((outcome) => outcome.status === 0).length,
        failed: instances.length - completed,
        warning: outcomes.filter((outcome) => outcome.status !== 0 && isStoredStatus(outcome.status)).length,
        state: delivered === total ? 'delivered' : `${delivered}/${total} delivered`,
        ...(error ? { error } : {}),
      },
    });
    this.logger.log(
      `C-MOVE of transfer ${transferId} to ${destination.aeTitle} for ${caller.node.aeTitle}: ${completed}/${instances.length}`,
    );
    return { error, failureClass };
  }

  /** Sensitive studies stay available to the recipient's PACS, but every DICOM access is a Security Alert. */
  private isRestricted(pullable: PullableStudy): boolean {
    const { study } = pullable;
    return study.restricted || (study.patientId !== null && this.restrictedPatients.has(study.patientId));
  }

  /** A restricted patient's study its rule withholds from DICOM pull: not listed by C-FIND, not moved. */
  private isWithheld(pullable: PullableStudy): boolean {
    const { patientId } = pullable.study;
    return patientId !== null && this.restrictedPatients.get(patientId) === 'withhold';
  }

  private async alertRestricted(
    caller: QueryRetrieveCaller,
    pullable: PullableStudy,
    how: 'queried' | 'retrieved' | 'refused',
  ) {
    await this.audit.record('restricted-study-accessed', {
      outcome: AuditOutcome.Success,
      actor: { aeTitle: caller.node.aeTitle, address: caller.peerAddress },
      sourceTrust: pullable.context.sender.code,
      destinationTrust: caller.trust.code,
      patientId: pullable.study.patientId ?? undefined,
      studyInstanceUid: pullable.study.studyInstanceUid,
      detail: { studyId: pullable.study.id, transferId: pullable.transfer.id, how },
    });
  }

  /** The caller trust's studies (and, below STUDY level, instances) that match the identifier. */
  private async match(caller: QueryRetrieveCaller, query: QueryIdentifier): Promise<Match[]> {
    const uids = query.keys.StudyInstanceUID ? query.keys.StudyInstanceUID.split('\\') : undefined;
    const pullables = await this.catalog.load(caller.trust, {
      studyInstanceUids: uids && !uids.some((uid) => /[*?]/.test(uid)) ? uids : undefined,
    });
    const matches: Match[] = [];
    const seenStudies = new Set<string>();
    const seenPatients = new Set<string>();
    for (const pullable of pullables) {
      const studyView = pullable.attributes;
      if (!matchesAll(query.keys, studyView, STUDY_MATCH_KEYS)) {
        continue;
      }
      if (this.isWithheld(pullable)) {
        // It matched, and the node is not told so: a Security Alert says it was asked for and refused.
        await this.alertRestricted(caller, pullable, 'refused');
        continue;
      }
      if (query.level === 'PATIENT') {
        const patient = `${studyView.PatientID ?? ''}|${studyView.IssuerOfPatientID ?? ''}`;
        if (!seenPatients.has(patient)) {
          seenPatients.add(patient);
          matches.push({ pullable, view: studyView });
        }
        continue;
      }
      if (query.level === 'STUDY') {
        if (!seenStudies.has(studyView.StudyInstanceUID)) {
          seenStudies.add(studyView.StudyInstanceUID);
          matches.push({ pullable, view: studyView });
        }
        continue;
      }
      const seenSeries = new Set<string>();
      for (const instance of pullable.instances) {
        if (query.level === 'SERIES' && seenSeries.has(instance.seriesInstanceUid)) {
          continue;
        }
        const view = this.catalog.instanceView(pullable, instance);
        if (!matchesAll(query.keys, view, INSTANCE_MATCH_KEYS)) {
          continue;
        }
        seenSeries.add(instance.seriesInstanceUid);
        matches.push({ pullable, instance, view });
      }
    }
    return matches;
  }

  /** The requested keys with the hub's values (empty when unknown), and the level's unique key. */
  private responseIdentifier(query: QueryIdentifier, view: Record<string, string>): Record<string, string> {
    const identifier: Record<string, string> = {};
    for (const keyword of Object.keys(query.keys)) {
      identifier[keyword] = keyword === 'RetrieveAETitle' ? this.config.hub.aeTitle : (view[keyword] ?? '');
    }
    const unique = STUDY_KEYS_BY_LEVEL[query.level];
    identifier[unique] = view[unique] ?? '';
    if (query.level !== 'PATIENT') {
      identifier.StudyInstanceUID = view.StudyInstanceUID ?? '';
    }
    if (query.level === 'IMAGE') {
      identifier.SeriesInstanceUID = view.SeriesInstanceUID ?? '';
    }
    return identifier;
  }
}

/** A key naming one patient or study (not a list, not a wildcard), for the audit event's participant. */
function singleValue(key: string | undefined): string | undefined {
  return key && !/[\\*?]/.test(key) && key.length <= 64 ? key : undefined;
}
