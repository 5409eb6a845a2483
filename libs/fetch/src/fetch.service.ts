import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import {
  AgreementRepository,
  DicomNode,
  FetchRequest,
  FetchRequestRepository,
  NodeRepository,
  Trust,
  TrustRepository,
} from '@hub/db';
import {
  AssociationFailedError,
  classifyAssociationFailure,
  findStudies,
  formatStatus,
  isStoredStatus,
  isValidUid,
  moveStudy,
  scuTargetFor,
} from '@hub/dicom';
import { HubMetrics } from '@hub/observability';
import { StudyQueueProducer } from '@hub/queue';
import { evaluateAgreement } from '@hub/routing';

/** A fetch request that cannot be accepted, naming the field that is wrong (a 400 in the API). */
export class FetchRequestError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export interface FetchRequestInput {
  /** Code of the trust that holds the study (the source). */
  from: string;
  /** Code of the trust the study is for. */
  to: string;
  folder: string;
  studyInstanceUid?: string;
  accessionNumber?: string;
  patientId?: string;
  /** Who asks (user name, or `cli:<os user>`). */
  requestedBy: string;
}

export type FetchResult =
  | { state: 'completed' | 'partially-completed' | 'failed'; completed: number; failed: number }
  | { state: 'skipped'; reason: string };

/** A fetch request with its trusts by code, for listings. */
export interface FetchView extends FetchRequest {
  from: string;
  to: string;
  sourceAeTitle: string;
}

/**
 * "Source it": a user at trust B asks for a study held at trust A. The request needs an agreement
 * A→B for the folder; the forwarder then C-FINDs A's query/retrieve node for the study and C-MOVEs
 * it to the hub AE, where the receiver accepts those stores (and only those) and files them like a
 * study A sent to B. Requests, outcomes and progress are recorded and audited.
 */
@Injectable()
export class FetchService {
  private readonly logger = new Logger(FetchService.name);

  constructor(
    private readonly fetches: FetchRequestRepository,
    private readonly trusts: TrustRepository,
    private readonly nodes: NodeRepository,
    private readonly agreements: AgreementRepository,
    private readonly queue: StudyQueueProducer,
    private readonly audit: AuditService,
    private readonly metrics: HubMetrics,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async requestFetch(input: FetchRequestInput, now = new Date()): Promise<FetchRequest> {
    const trusts = new Map((await this.trusts.getAll()).filter((t) => t.active).map((trust) => [trust.code, trust]));
    const source = trusts.get(input.from);
    if (!source) {
      throw new FetchRequestError('from', `no active trust with code ${JSON.stringify(input.from)}`);
    }
    const recipient = trusts.get(input.to);
    if (!recipient) {
      throw new FetchRequestError('to', `no active trust with code ${JSON.stringify(input.to)}`);
    }
    if (recipient.id === source.id) {
      throw new FetchRequestError('to', 'a trust cannot fetch from itself');
    }
    if (input.folder !== 'emergency' && input.folder !== 'elective') {
      throw new FetchRequestError('folder', 'must be emergency or elective');
    }
    const folder = input.folder;
    const studyInstanceUid = input.studyInstanceUid?.trim() || undefined;
    const accessionNumber = input.accessionNumber?.trim() || undefined;
    const patientId = input.patientId?.trim() || undefined;
    if (studyInstanceUid && !isValidUid(studyInstanceUid)) {
      throw new FetchRequestError('studyInstanceUid', 'not a valid UID');
    }
    if (!studyInstanceUid && !(accessionNumber && patientId)) {
      throw new FetchRequestError('studyInstanceUid', 'give a StudyInstanceUID, or an accessionNumber and a patientId');
    }
    if (accessionNumber && accessionNumber.length > 16) {
      throw new FetchRequestError('accessionNumber', 'longer than 16 characters');
    }
    const sourceNode = await this.queryRetrieveNode(source);
    if (!sourceNode) {
      throw new FetchRequestError('from', `${source.code} has no node the hub may query and retrieve from`);
    }
    const decision = evaluateAgreement(await this.agreements.getBetween(source.id, recipient.id), {
      folder,
      modalities: [],
      at: now,
    });
    const participants = {
      actor: { user: input.requestedBy },
      sourceTrust: source.code,
      destinationTrust: recipient.code,
      patientId,
      studyInstanceUid,
    };
    if (!decision.allowed) {
      await this.audit.record('fetch-requested', {
        ...participants,
        outcome: AuditOutcome.MinorFailure,
        detail: { folder, accessionNumber, refused: decision.reason },
      });
      throw new FetchRequestError('to', decision.reason);
    }
    const fetch = await this.fetches.create({
      sourceTrustId: source.id,
      sourceNodeId: sourceNode.id,
      recipientTrustId: recipient.id,
      folder,
      studyInstanceUid: studyInstanceUid ?? null,
      accessionNumber: accessionNumber ?? null,
      patientId: patientId ?? null,
      requestedBy: input.requestedBy.slice(0, 64),
    });
    await this.audit.record('fetch-requested', {
      ...participants,
      outcome: AuditOutcome.Success,
      detail: { fetchId: fetch.id, folder, accessionNumber, sourceNode: sourceNode.aeTitle },
    });
    await this.queue.scheduleFetch(fetch.id);
    return fetch;
  }

  /**
   * Runs one fetch: C-FIND the source for the study (by UID, or accession number and patient ID,
   * which must name exactly one study), then C-MOVE it to the hub AE. A source that cannot be
   * reached throws, so the queue retries; on the last attempt (`lastAttempt`), or when the source
   * rejects the association permanently, the request fails.
   */
  async handleFetchStudy(fetchId: string, lastAttempt: boolean): Promise<FetchResult> {
    const fetch = await this.fetches.getById(fetchId);
    if (!fetch || !['queued', 'querying', 'retrieving'].includes(fetch.state)) {
      return { state: 'skipped', reason: fetch ? `fetch is ${fetch.state}` : 'no such fetch' };
    }
    const node = await this.nodes.getById(fetch.sourceNodeId);
    if (!node || !node.active) {
      return this.finish(fetch, 'failed', { error: 'the source node is no longer configured' });
    }
    const target = scuTargetFor(node, this.config.hub);
    try {
      await this.fetches.transition(fetch.id, ['queued', 'querying', 'retrieving'], 'querying');
      const found = await findStudies(target, {
        StudyInstanceUID: fetch.studyInstanceUid ?? '',
        AccessionNumber: fetch.studyInstanceUid ? '' : (fetch.accessionNumber ?? ''),
        PatientID: fetch.studyInstanceUid ? '' : (fetch.patientId ?? ''),
        NumberOfStudyRelatedInstances: '',
      });
      if (found.status !== undefined && found.status !== 0) {
        return this.finish(fetch, 'failed', {
          status: found.status,
          error: `the source refused the query (${formatStatus(found.status)}${found.comment ? `: ${found.comment}` : ''})`,
        });
      }
      if (found.matches.length !== 1) {
        return this.finish(fetch, 'failed', {
          error:
            found.matches.length === 0
              ? 'the source holds no such study'
              : `${found.matches.length} studies at the source match; give the StudyInstanceUID`,
        });
      }
      const match = found.matches[0];
      const studyInstanceUid = String(match.StudyInstanceUID ?? fetch.studyInstanceUid ?? '');
      const expected = Number(match.NumberOfStudyRelatedInstances) || null;
      // Asked for by StudyInstanceUID, the request named no patient: the source's answer does.
      const patientId =
        fetch.patientId ??
        (String(match.PatientID ?? '')
          .trim()
          .slice(0, 64) ||
          null);
      await this.fetches.transition(fetch.id, ['querying'], 'retrieving', {
        studyInstanceUid,
        expectedInstances: expected,
        ...(patientId !== fetch.patientId ? { patientId } : {}),
      });
      const identified = { ...fetch, studyInstanceUid, patientId };
      if (patientId && patientId !== fetch.patientId) {
        await this.auditIdentified(identified, node);
      }
      // Progress for the portal: at most one write a second, in order (the final counts come with the outcome).
      let progressWritten = 0;
      let progress = Promise.resolve();
      const moved = await moveStudy(target, this.config.hub.aeTitle, studyInstanceUid, (counts) => {
        if (Date.now() - progressWritten < 1000) {
          return;
        }
        progressWritten = Date.now();
        progress = progress
          .then(() => this.fetches.recordProgress(fetch.id, counts.completed + counts.warning, counts.failed))
          .catch(() => undefined);
      });
      await progress;
      const { counts } = moved;
      const completed = counts.completed + counts.warning;
      const total = completed + counts.failed;
      const state =
        moved.status === 0 || (isStoredStatus(moved.status) && counts.failed === 0)
          ? 'completed'
          : completed > 0
            ? 'partially-completed'
            : 'failed';
      return this.finish(identified, state, {
        status: moved.status,
        completed,
        failed: counts.failed,
        expected: expected ?? (total || null),
        error:
          state === 'completed'
            ? undefined
            : `the source's C-MOVE ended ${moved.status !== undefined ? formatStatus(moved.status) : 'without a final status'}${moved.comment ? `: ${moved.comment}` : ''}`,
      });
    } catch (error) {
      if (!(error instanceof AssociationFailedError)) {
        throw error;
      }
      // A permanent rejection fails at once: asking again cannot help (the job then ends, not retried).
      if (lastAttempt || classifyAssociationFailure(error.failure) === 'permanent') {
        return this.finish(fetch, 'failed', { error: error.message });
      }
      await this.fetches.transition(fetch.id, ['querying', 'retrieving'], 'queued', { lastError: error.message });
      this.metrics.fetchFinished('retry');
      throw error;
    }
  }

  /** Re-queues every request not finished (after a restart or a Redis loss); the job id keeps it single. */
  async resumeUnfinished(): Promise<number> {
    const unfinished = await this.fetches.getUnfinished();
    for (const fetch of unfinished) {
      await this.queue.scheduleFetch(fetch.id);
    }
    return unfinished.length;
  }

  async list(filter: { recipient?: string } = {}): Promise<FetchView[]> {
    const trusts = await this.trusts.getAll();
    const recipient = filter.recipient ? trusts.find((trust) => trust.code === filter.recipient) : undefined;
    if (filter.recipient && !recipient) {
      return [];
    }
    return this.views(await this.fetches.list({ recipientTrustId: recipient?.id }), trusts);
  }

  async get(id: string): Promise<FetchView | null> {
    const fetch = await this.fetches.getById(id);
    return fetch ? (await this.views([fetch], await this.trusts.getAll()))[0] : null;
  }

  private async views(fetches: FetchRequest[], trusts: Trust[]): Promise<FetchView[]> {
    const codes = new Map(trusts.map((trust) => [trust.id, trust.code]));
    const nodes = new Map((await this.nodes.getAll()).map((node) => [node.id, node.aeTitle]));
    return fetches.map((fetch) => ({
      ...fetch,
      from: codes.get(fetch.sourceTrustId) ?? '?',
      to: codes.get(fetch.recipientTrustId) ?? '?',
      sourceAeTitle: nodes.get(fetch.sourceNodeId) ?? '?',
    }));
  }

  private async queryRetrieveNode(trust: Trust): Promise<DicomNode | undefined> {
    return (await this.nodes.getAll()).find((node) => node.trustId === trust.id && node.active && node.queryRetrieve);
  }

  /**
   * The patient of a fetch asked for by StudyInstanceUID, once the source named it: an event with the
   * requester as actor, so "who accessed this patient" lists whoever asked for the study.
   */
  private async auditIdentified(fetch: FetchRequest, sourceNode: DicomNode): Promise<void> {
    const [source, recipient] = await Promise.all([
      this.trusts.getById(fetch.sourceTrustId),
      this.trusts.getById(fetch.recipientTrustId),
    ]);
    await this.audit.record('fetch-identified', {
      outcome: AuditOutcome.Success,
      actor: { user: fetch.requestedBy },
      sourceTrust: source?.code,
      destinationTrust: recipient?.code,
      patientId: fetch.patientId ?? undefined,
      studyInstanceUid: fetch.studyInstanceUid ?? undefined,
      detail: { fetchId: fetch.id, sourceNode: sourceNode.aeTitle },
    });
  }

  private async finish(
    fetch: FetchRequest,
    state: 'completed' | 'partially-completed' | 'failed',
    outcome: { status?: number; completed?: number; failed?: number; expected?: number | null; error?: string },
  ): Promise<FetchResult> {
    const completed = outcome.completed ?? 0;
    const failed = outcome.failed ?? 0;
    await this.fetches.transition(fetch.id, ['queued', 'querying', 'retrieving'], state, {
      completedInstances: completed,
      failedInstances: failed,
      ...(outcome.expected !== undefined ? { expectedInstances: outcome.expected } : {}),
      lastError: outcome.error?.slice(0, 500) ?? null,
      completedAt: new Date(),
    });
    const [source, recipient] = await Promise.all([
      this.trusts.getById(fetch.sourceTrustId),
      this.trusts.getById(fetch.recipientTrustId),
    ]);
    await this.audit.record('fetch-finished', {
      outcome:
        state === 'completed'
          ? AuditOutcome.Success
          : state === 'partially-completed'
            ? AuditOutcome.MinorFailure
            : AuditOutcome.SeriousFailure,
      actor: { aeTitle: this.config.hub.aeTitle },
      sourceTrust: source?.code,
      destinationTrust: recipient?.code,
      patientId: fetch.patientId ?? undefined,
      studyInstanceUid: fetch.studyInstanceUid ?? undefined,
      detail: {
        fetchId: fetch.id,
        state,
        expected: outcome.expected ?? fetch.expectedInstances,
        completed,
        failed,
        ...(outcome.status !== undefined ? { status: formatStatus(outcome.status) } : {}),
        ...(outcome.error ? { error: outcome.error } : {}),
      },
    });
    this.logger.log(`fetch ${fetch.id}: ${state} (${completed} stored, ${failed} failed)`);
    this.metrics.fetchFinished(state);
    return { state, completed, failed };
  }
}
