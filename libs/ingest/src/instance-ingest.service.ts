import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import {
  DicomNode,
  FetchRequestRepository,
  InstanceRepository,
  NamedLockRepository,
  NodeRepository,
  StudyRepository,
  Trust,
  TrustRepository,
} from '@hub/db';
import {
  DatasetHeader,
  DimseStatus,
  HEADER_SCAN_LIMIT,
  ReceivedDataset,
  ScpSession,
  SpillFile,
  StoreOutcome,
  StoreRequest,
  buildPart10Header,
  formatStatus,
  isValidUid,
  readDatasetHeader,
  uidForLog,
} from '@hub/dicom';
import { HubMetrics, InstanceOutcomeLabel, StorageSpaceMonitor } from '@hub/observability';
import { StudyQueueProducer } from '@hub/queue';
import { StorageService, TempFileReserve, TempFileWriter } from '@hub/storage';

type TrustDestination = { kind: 'trust'; trust: Trust; folder: 'emergency' | 'elective' };
/** A trust's inbound AE names the folder; the hub AE takes only what a source sends back for a fetch. */
export type IngestDestination = TrustDestination | { kind: 'hub' };

export interface IngestSessionContext {
  node: DicomNode;
  senderTrust: Trust;
  destination: IngestDestination;
  calledAeTitle: string;
  peerAddress: string;
}

/** Refusal of one instance: the DIMSE status and why, for the sender and the audit trail. */
class Refusal extends Error {
  constructor(
    readonly status: DimseStatus,
    readonly reason: string,
  ) {
    super(reason);
  }
}

interface StudyTally {
  studyId: string;
  destination: TrustDestination;
  patientId?: string;
  stored: number;
  bytes: number;
  sopClasses: Set<string>;
  /** Stored since the last instances-stored event: written within a second, so a crash loses little. */
  unaudited: Array<{ id: string; sopInstanceUid: string; sopClassUid: string; bytes: number }>;
  /** The study was still receiving, in a folder forwarded while it arrives: routing starts on its first store. */
  forwardWhileReceiving: boolean;
}

type AuditBatch = Parameters<AuditService['recordMany']>[0];

const MEMORY_HEADER_PREFIX = 64 << 10;

/** How often an association's stored instances are audited while it lasts. */
const AUDIT_EVERY_MS = 1000;

/** The largest header read back from a spilled file when the in-memory prefix was not enough. */
const SPILLED_HEADER_LIMIT = 64 << 20;

/**
 * Turns received data sets into durable, recorded instances. An instance is acknowledged only
 * after its file is fsynced and renamed into place and its row is committed; every refusal maps
 * to a DIMSE status and an audit event, and leaves neither a file nor a row behind.
 */
@Injectable()
export class InstanceIngestService {
  private readonly logger = new Logger(InstanceIngestService.name);
  private readonly lastScheduled = new Map<string, number>();
  private readonly hubAeTitle: string;
  private readonly forwardWhileReceiving: Record<'emergency' | 'elective', boolean>;

  constructor(
    private readonly storage: StorageService,
    private readonly studies: StudyRepository,
    private readonly instances: InstanceRepository,
    private readonly fetches: FetchRequestRepository,
    private readonly trusts: TrustRepository,
    private readonly nodes: NodeRepository,
    private readonly locks: NamedLockRepository,
    private readonly audit: AuditService,
    private readonly studyQueue: StudyQueueProducer,
    private readonly metrics: HubMetrics,
    private readonly space: StorageSpaceMonitor,
    @Inject(HUB_CONFIG) config: HubConfig,
  ) {
    this.hubAeTitle = config.hub.aeTitle;
    this.forwardWhileReceiving = {
      emergency: config.folders.emergency.forwardWhileReceiving,
      elective: config.folders.elective.forwardWhileReceiving,
    };
  }

  openSession(context: IngestSessionContext): ScpSession {
    this.metrics.associationOpened();
    return new IngestSession(this, context, this.storage.tempFileReserve());
  }

  /**
   * The association's one log line (never one per instance): who called whom from where, what it stored and
   * refused, how long it lasted and how it ended. It names AE titles and counts, never the patient.
   */
  logAssociationEnd(
    context: IngestSessionContext,
    summary: { stored: number; refused: number; bytes: number; studies: number; durationMs: number },
    ending: 'released' | 'aborted' | 'closed',
  ): void {
    this.metrics.associationEnded(ending);
    const line = {
      msg: `association ${context.node.aeTitle} -> ${context.calledAeTitle} ${ending}: ${summary.stored} stored, ${summary.refused} refused`,
      callingAe: context.node.aeTitle,
      calledAe: context.calledAeTitle,
      address: context.peerAddress,
      instances: summary.stored,
      refused: summary.refused,
      bytes: summary.bytes,
      studies: summary.studies,
      durationMs: summary.durationMs,
      outcome: ending,
    };
    if (ending === 'released') {
      this.logger.log(line);
    } else {
      this.logger.warn(line);
    }
  }

  /** Opens the temp file of a large instance and writes its Part-10 header first. */
  openSpill(
    context: IngestSessionContext,
    request: StoreRequest,
    tempFiles: TempFileReserve,
  ): SpillFile & { metaLength: number } {
    if (!isValidUid(request.sopInstanceUid) || !isValidUid(request.sopClassUid)) {
      // Nothing can be stored under such a name: take the bytes and drop them; store() refuses it.
      return discardingSpill();
    }
    const meta = this.part10Header(context, request);
    const writer = tempFiles.take();
    try {
      writer.write([meta]);
    } catch (error) {
      writer.discard().catch(() => undefined);
      throw error;
    }
    return Object.assign(writer, { metaLength: meta.length });
  }

  async store(
    context: IngestSessionContext,
    request: StoreRequest,
    data: ReceivedDataset,
    studyIds: Map<string, StudyTally>,
    tempFiles: TempFileReserve,
  ): Promise<StoreOutcome> {
    const started = process.hrtime.bigint();
    const outcome = await this.storeOrAnswerRefusal(context, request, data, studyIds, tempFiles);
    const label: InstanceOutcomeLabel =
      outcome.status === DimseStatus.Success
        ? 'stored'
        : outcome.status === DimseStatus.OutOfResources
          ? 'out-of-resources'
          : 'refused';
    const bytes = data.kind === 'memory' ? data.length : data.kind === 'spilled' ? data.fileSize : 0;
    this.metrics.instanceReceived(context.node.aeTitle, label, bytes, Number(process.hrtime.bigint() - started) / 1e9);
    return outcome;
  }

  private async storeOrAnswerRefusal(
    context: IngestSessionContext,
    request: StoreRequest,
    data: ReceivedDataset,
    studyIds: Map<string, StudyTally>,
    tempFiles: TempFileReserve,
  ): Promise<StoreOutcome> {
    try {
      return await this.storeOrRefuse(context, request, data, studyIds, tempFiles);
    } catch (error) {
      if (data.kind === 'spilled') {
        await data.spill.discard().catch(() => undefined);
      }
      const refusal =
        error instanceof Refusal ? error : new Refusal(DimseStatus.OutOfResources, `storage or database unavailable`);
      if (!(error instanceof Refusal)) {
        this.logger.error(
          `C-STORE ${uidForLog(request.sopInstanceUid)} from ${context.node.aeTitle}: ${(error as Error).message}`,
        );
      }
      await this.auditRefusal(context, request, refusal);
      return { status: refusal.status, comment: refusal.reason };
    }
  }

  private async storeOrRefuse(
    context: IngestSessionContext,
    request: StoreRequest,
    data: ReceivedDataset,
    tallies: Map<string, StudyTally>,
    tempFiles: TempFileReserve,
  ): Promise<StoreOutcome> {
    if (data.kind === 'failed') {
      this.logger.error(
        `receiving ${uidForLog(request.sopInstanceUid)} from ${context.node.aeTitle}: ${data.error.message}`,
      );
      throw new Refusal(DimseStatus.OutOfResources, 'storage unavailable');
    }
    if (data.kind === 'malformed') {
      throw new Refusal(DimseStatus.CannotUnderstand, `malformed data set: ${data.problem}`);
    }
    // At or below the free-space floor nothing more is taken: the sender keeps the instance and retries later.
    // A statfs that fails says nothing here; the write itself then fails and is refused the same way.
    if ((await this.space.freeSpace().catch(() => undefined))?.belowFloor) {
      throw new Refusal(DimseStatus.OutOfResources, 'storage below its free-space floor');
    }
    const header = await this.readHeader(request, data);
    this.checkIdentifiers(request, header);
    const studyInstanceUid = header.studyInstanceUid!;

    let tally = tallies.get(studyInstanceUid);
    const destination =
      tally?.destination ??
      (context.destination.kind === 'trust'
        ? context.destination
        : await this.fetchDestination(context.node, studyInstanceUid));
    const receivedAt = new Date();
    if (!tally) {
      const study = await this.studies.upsertForArrival(
        {
          senderNodeId: context.node.id,
          senderTrustId: context.senderTrust.id,
          recipientTrustId: destination.trust.id,
          folder: destination.folder,
          calledAeTitle: context.calledAeTitle,
          studyInstanceUid,
        },
        header,
        receivedAt,
      );
      tally = {
        studyId: study.id,
        destination,
        patientId: header.patientId,
        stored: 0,
        bytes: 0,
        sopClasses: new Set(),
        unaudited: [],
        forwardWhileReceiving: study.state === 'receiving' && this.forwardWhileReceiving[destination.folder],
      };
      tallies.set(studyInstanceUid, tally);
    }

    const storagePath = this.storage.instancePath({
      recipientTrustId: destination.trust.id,
      folder: destination.folder,
      senderNodeId: context.node.id,
      studyInstanceUid,
      sopInstanceUid: request.sopInstanceUid,
    });
    // The file takes its name first, from the page cache, so a row never names a file that is not
    // there (delivery reads rows while a study arrives and finds each file). Then the file's flush, the
    // directory's and the row's commit run together: Success needs all three. If one fails the others
    // are undone. A crash before they finish can only leave a row for an instance never acknowledged,
    // whose file is missing or short: the receiver's reconciliation removes such rows.
    const existed = this.storage.exists(storagePath);
    const placed =
      data.kind === 'memory'
        ? await this.storage.placeFile(storagePath, [this.part10Header(context, request), ...data.chunks], tempFiles, {
            replacing: existed,
          })
        : await this.storage.placeTempFile(data.spill as TempFileWriter, storagePath, { replacing: existed });
    const sizeBytes = placed.size;
    const [synced, recorded] = await Promise.allSettled([
      placed.durable,
      this.instances.recordStored({
        studyId: tally.studyId,
        seriesInstanceUid: header.seriesInstanceUid!,
        sopInstanceUid: request.sopInstanceUid,
        sopClassUid: request.sopClassUid,
        transferSyntaxUid: request.transferSyntaxUid,
        modality: header.modality,
        seriesNumber: toInt(header.seriesNumber),
        instanceNumber: toInt(header.instanceNumber),
        sizeBytes,
        storagePath,
        receivedAt,
      }),
    ]);
    if (synced.status === 'rejected' || recorded.status === 'rejected') {
      // Here a row that was recorded means the flush failed: a row that did not exist before goes.
      if (recorded.status === 'fulfilled' && recorded.value.outcome === 'inserted') {
        await this.instances
          .removeRecord(tally.studyId, request.sopInstanceUid)
          .catch((error: Error) =>
            this.logger.error(`undoing the row of ${uidForLog(request.sopInstanceUid)}: ${error.message}`),
          );
      }
      // Not durable or not recorded means not stored: a file that was not there before goes again.
      if (!existed) {
        await this.storage.remove(storagePath).catch(() => undefined);
      }
      throw synced.status === 'rejected' ? synced.reason : (recorded as PromiseRejectedResult).reason;
    }
    tally.stored += 1;
    tally.bytes += sizeBytes;
    tally.sopClasses.add(request.sopClassUid);
    tally.unaudited.push({
      id: recorded.value.id,
      sopInstanceUid: request.sopInstanceUid,
      sopClassUid: request.sopClassUid,
      bytes: sizeBytes,
    });
    this.scheduleCompletion(tally.studyId);
    if (tally.stored === 1 && tally.forwardWhileReceiving) {
      this.scheduleEarlyRoute(tally.studyId);
    }
    return { status: DimseStatus.Success };
  }

  /**
   * Removes rows whose file is missing or shorter than recorded: what a crash leaves when it comes
   * after the file took its name and the row was committed but before the flushes finished (the
   * instance was never acknowledged). The caller leaves rows of stores still in flight on other
   * receivers out of [from, until). Returns how many rows were removed.
   */
  async reconcileMissingFiles(from: Date, until: Date): Promise<number> {
    const rows = await this.instances.getStoredBetween(from, until);
    const missing = rows.filter((row) => this.storage.sizeOf(row.storagePath) !== Number(row.sizeBytes));
    if (missing.length === 0) {
      return 0;
    }
    this.logger.warn(`removing ${missing.length} instance row(s) whose file is missing or short`);
    await this.instances.removeById(missing.map((row) => row.id));
    await this.audit.record('instances-lost', {
      outcome: AuditOutcome.SeriousFailure,
      actor: { aeTitle: this.hubAeTitle },
      detail: { instanceIds: missing.map((row) => row.id), storagePaths: missing.map((row) => row.storagePath) },
    });
    return missing.length;
  }

  /**
   * Audits what one association stored since it last did, one instances-stored event per study naming
   * each instance, then notes those instances audited. Runs every second while the association lasts and
   * once at its end (`ending`): a crash loses the events of at most the last second, which the
   * reconciliation then writes from the rows. Answers that could not be audited are kept for the next run.
   */
  async auditStored(
    context: IngestSessionContext,
    tallies: Map<string, StudyTally>,
    refused: number,
    ending?: 'released' | 'aborted' | 'closed',
  ): Promise<void> {
    const actor = { aeTitle: context.node.aeTitle, address: context.peerAddress };
    const batches = [...tallies.entries()]
      .filter(([, tally]) => tally.unaudited.length > 0)
      .map(([studyInstanceUid, tally]) => ({ studyInstanceUid, tally, items: tally.unaudited.splice(0) }));
    const events: AuditBatch = batches.map(({ studyInstanceUid, tally, items }) => ({
      name: 'instances-stored',
      event: {
        outcome: ending === undefined || ending === 'released' ? AuditOutcome.Success : AuditOutcome.MinorFailure,
        actor,
        sourceTrust: context.senderTrust.code,
        destinationTrust: tally.destination.trust.code,
        patientId: tally.patientId,
        studyInstanceUid,
        detail: {
          calledAeTitle: context.calledAeTitle,
          folder: tally.destination.folder,
          stored: items.length,
          refused,
          bytes: items.reduce((sum, item) => sum + item.bytes, 0),
          sopClasses: [...new Set(items.map((item) => item.sopClassUid))],
          sopInstanceUids: items.map((item) => item.sopInstanceUid),
        },
      },
    }));
    if (ending !== undefined && ending !== 'released') {
      events.push({
        name: 'association-aborted',
        event: {
          outcome: AuditOutcome.MinorFailure,
          actor,
          detail: {
            calledAeTitle: context.calledAeTitle,
            reason: ending === 'aborted' ? 'A-ABORT' : 'connection closed',
          },
        },
      });
    }
    if (events.length === 0) {
      return;
    }
    try {
      await this.audit.recordMany(events);
    } catch (error) {
      batches.forEach(({ tally, items }) => tally.unaudited.unshift(...items));
      throw error;
    }
    await this.instances.markAudited(
      batches.flatMap(({ items }) => items.map((item) => item.id)),
      new Date(),
    );
  }

  /**
   * Writes the instances-stored events a crash prevented: for instances acknowledged before `until`
   * (older than any association still auditing) with no event, one per study, marked recovered; once
   * across receivers. Returns how many instances it covered.
   */
  async auditUnaudited(until: Date): Promise<number> {
    return this.locks.withLock('iehub_audit_recovery', 30, async () => {
      let covered = 0;
      for (;;) {
        const rows = await this.instances.getUnaudited(until, 1000);
        if (rows.length === 0) {
          return covered;
        }
        const byStudy = new Map<string, typeof rows>();
        rows.forEach((row) => byStudy.set(row.studyId, [...(byStudy.get(row.studyId) ?? []), row]));
        const events: AuditBatch = [];
        for (const [studyId, items] of byStudy) {
          const study = await this.studies.getById(studyId);
          if (!study) {
            continue;
          }
          const [sender, recipient, node] = await Promise.all([
            this.trusts.getById(study.senderTrustId),
            this.trusts.getById(study.recipientTrustId),
            this.nodes.getById(study.senderNodeId),
          ]);
          events.push({
            name: 'instances-stored',
            event: {
              outcome: AuditOutcome.Success,
              actor: { aeTitle: node?.aeTitle },
              sourceTrust: sender?.code,
              destinationTrust: recipient?.code,
              patientId: study.patientId ?? undefined,
              studyInstanceUid: study.studyInstanceUid,
              detail: {
                calledAeTitle: study.calledAeTitle,
                folder: study.folder,
                stored: items.length,
                refused: 0,
                bytes: items.reduce((sum, item) => sum + Number(item.sizeBytes), 0),
                sopClasses: [...new Set(items.map((item) => item.sopClassUid))],
                sopInstanceUids: items.map((item) => item.sopInstanceUid),
                recovered: true,
              },
            },
          });
        }
        await this.audit.recordMany(events);
        await this.instances.markAudited(
          rows.map((row) => row.id),
          new Date(),
        );
        covered += rows.length;
        this.logger.warn(`wrote the instances-stored audit of ${rows.length} instance(s) a crash had left unaudited`);
      }
    });
  }

  /** Where a store to the hub AE goes: the folder of the fetch this source is being retrieved for. */
  private async fetchDestination(node: DicomNode, studyInstanceUid: string): Promise<TrustDestination> {
    const fetch = await this.fetches.getRetrieving(node.id, studyInstanceUid);
    const trust = fetch ? await this.trusts.getById(fetch.recipientTrustId) : null;
    if (!fetch || !trust) {
      throw new Refusal(DimseStatus.NotAuthorized, `no pending fetch for this study: send to a trust's inbound AE`);
    }
    return { kind: 'trust', trust, folder: fetch.folder };
  }

  private async readHeader(
    request: StoreRequest,
    data: Extract<ReceivedDataset, { kind: 'memory' | 'spilled' }>,
  ): Promise<DatasetHeader> {
    let result =
      data.kind === 'memory'
        ? readMemoryHeader(data.chunks, data.length, request.transferSyntaxUid)
        : readDatasetHeader(data.prefix, request.transferSyntaxUid, { complete: false });
    if (result.status === 'need-more' && data.kind === 'spilled') {
      const spill = data.spill as TempFileWriter & { metaLength: number };
      const head = await this.storage.readHead(spill.path, Math.min(data.fileSize, SPILLED_HEADER_LIMIT));
      const complete = data.fileSize <= SPILLED_HEADER_LIMIT;
      result = readDatasetHeader(head.subarray(spill.metaLength), request.transferSyntaxUid, { complete });
    }
    if (result.status === 'need-more') {
      throw new Refusal(DimseStatus.CannotUnderstand, `header longer than ${HEADER_SCAN_LIMIT} bytes`);
    }
    if (result.status === 'malformed') {
      throw new Refusal(DimseStatus.CannotUnderstand, `unreadable data set: ${result.reason}`);
    }
    return result.header;
  }

  private checkIdentifiers(request: StoreRequest, header: DatasetHeader): void {
    const required: Array<[string, string | undefined]> = [
      ['StudyInstanceUID', header.studyInstanceUid],
      ['SeriesInstanceUID', header.seriesInstanceUid],
      ['SOPInstanceUID', header.sopInstanceUid],
      ['SOPClassUID', header.sopClassUid],
    ];
    for (const [name, value] of required) {
      if (value === undefined || value === '') {
        throw new Refusal(DimseStatus.DataSetDoesNotMatchSopClass, `missing ${name}`);
      }
      if (!isValidUid(value)) {
        throw new Refusal(DimseStatus.DataSetDoesNotMatchSopClass, `invalid ${name}`);
      }
    }
    if (!isValidUid(request.sopInstanceUid)) {
      throw new Refusal(DimseStatus.DataSetDoesNotMatchSopClass, 'invalid AffectedSOPInstanceUID');
    }
    if (header.sopInstanceUid !== request.sopInstanceUid) {
      throw new Refusal(DimseStatus.DataSetDoesNotMatchSopClass, 'SOPInstanceUID differs from the request');
    }
    if (header.sopClassUid !== request.sopClassUid) {
      throw new Refusal(DimseStatus.DataSetDoesNotMatchSopClass, 'SOPClassUID differs from the request');
    }
  }

  private part10Header(context: IngestSessionContext, request: StoreRequest): Buffer {
    return buildPart10Header({
      sopClassUid: request.sopClassUid,
      sopInstanceUid: request.sopInstanceUid,
      transferSyntaxUid: request.transferSyntaxUid,
      sourceAeTitle: context.node.aeTitle,
    });
  }

  /**
   * Restarts the study's quiet period, at most once a second per study: the router re-checks the
   * newest arrival in MySQL before completing, so a coarse nudge is enough. Redis being down does
   * not fail the store: the router's sweep finds receiving studies in MySQL.
   */
  private scheduleCompletion(studyId: string): void {
    const now = Date.now();
    if (now - (this.lastScheduled.get(studyId) ?? 0) < 1000) {
      return;
    }
    this.lastScheduled.set(studyId, now);
    if (this.lastScheduled.size > 10000) {
      this.lastScheduled.clear();
    }
    this.studyQueue.scheduleCompletion(studyId).catch((error: Error) => {
      this.lastScheduled.delete(studyId);
      this.logger.warn(`could not schedule completion of study ${studyId}: ${error.message}`);
    });
  }

  /**
   * The study's first instance on this association, in a folder that forwards while receiving: the
   * router files it now and delivery starts while the rest arrives. Best effort, like the nudge above:
   * without it the study is still routed on completion.
   */
  private scheduleEarlyRoute(studyId: string): void {
    this.studyQueue.scheduleRoute(studyId).catch((error: Error) => {
      this.logger.warn(`could not schedule early routing of study ${studyId}: ${error.message}`);
    });
  }

  logAuditFailure(context: IngestSessionContext, error: Error): void {
    this.logger.error(`audit of what ${context.node.aeTitle} stored failed (kept for the next try): ${error.message}`);
  }

  private async auditRefusal(context: IngestSessionContext, request: StoreRequest, refusal: Refusal): Promise<void> {
    this.logger.warn(
      `refused ${uidForLog(request.sopInstanceUid)} from ${context.node.aeTitle}: ${formatStatus(refusal.status)} ${refusal.reason}`,
    );
    await this.audit
      .record('instance-refused', {
        outcome:
          refusal.status === DimseStatus.OutOfResources ? AuditOutcome.SeriousFailure : AuditOutcome.MinorFailure,
        actor: { aeTitle: context.node.aeTitle, address: context.peerAddress },
        sourceTrust: context.senderTrust.code,
        destinationTrust: context.destination.kind === 'trust' ? context.destination.trust.code : undefined,
        detail: {
          calledAeTitle: context.calledAeTitle,
          sopInstanceUid: isValidUid(request.sopInstanceUid) ? request.sopInstanceUid : undefined,
          status: formatStatus(refusal.status),
          reason: refusal.reason,
        },
      })
      .catch((error: Error) => this.logger.error(`audit of a refused instance failed: ${error.message}`));
  }
}

/** Per-association state: which studies it touched and what it stored, for the batch audit event. */
class IngestSession implements ScpSession {
  private readonly tallies = new Map<string, StudyTally>();
  /** Refused since the last audit run. */
  private refused = 0;
  private readonly openedAt = Date.now();
  /** Every instance this association refused, for its log line (`refused` restarts at each audit run). */
  private readonly totals = { refused: 0 };
  private readonly auditTimer: NodeJS.Timeout;
  private auditing: Promise<void> = Promise.resolve();

  constructor(
    private readonly service: InstanceIngestService,
    private readonly context: IngestSessionContext,
    private readonly tempFiles: TempFileReserve,
  ) {
    this.auditTimer = setInterval(() => void this.audit(), AUDIT_EVERY_MS).unref();
  }

  /** One audit run at a time; a failed one keeps its instances for the next (logged, never thrown here). */
  private audit(ending?: 'released' | 'aborted' | 'closed'): Promise<void> {
    const refused = this.refused;
    this.refused = 0;
    this.auditing = this.auditing
      .then(() => this.service.auditStored(this.context, this.tallies, refused, ending))
      .catch((error: Error) => {
        this.refused += refused;
        this.service.logAuditFailure(this.context, error);
      });
    return this.auditing;
  }

  openSpill(request: StoreRequest): SpillFile {
    return this.service.openSpill(this.context, request, this.tempFiles);
  }

  async store(request: StoreRequest, data: ReceivedDataset): Promise<StoreOutcome> {
    const outcome = await this.service.store(this.context, request, data, this.tallies, this.tempFiles);
    if (outcome.status !== DimseStatus.Success) {
      this.refused += 1;
      this.totals.refused += 1;
    }
    return outcome;
  }

  releasing(): Promise<void> {
    return this.tempFiles.release();
  }

  async end(how: 'released' | 'aborted' | 'closed'): Promise<void> {
    clearInterval(this.auditTimer);
    const tallies = [...this.tallies.values()];
    this.service.logAssociationEnd(
      this.context,
      {
        stored: tallies.reduce((sum, tally) => sum + tally.stored, 0),
        refused: this.totals.refused,
        bytes: tallies.reduce((sum, tally) => sum + tally.bytes, 0),
        studies: tallies.length,
        durationMs: Date.now() - this.openedAt,
      },
      how,
    );
    await this.tempFiles.release();
    await this.audit(how);
  }
}

/** The header sits in the first few KiB: parse a short prefix, and join every chunk only if it needs more. */
function readMemoryHeader(chunks: Buffer[], length: number, transferSyntaxUid: string) {
  const prefixLength = Math.min(length, MEMORY_HEADER_PREFIX);
  const prefix =
    chunks.length === 1 || chunks[0].length >= prefixLength ? chunks[0] : Buffer.concat(chunks, prefixLength);
  const result = readDatasetHeader(prefix.subarray(0, prefixLength), transferSyntaxUid, {
    complete: prefixLength === length,
  });
  if (result.status !== 'need-more') {
    return result;
  }
  return readDatasetHeader(Buffer.concat(chunks, length), transferSyntaxUid, { complete: true });
}

function discardingSpill(): SpillFile & { metaLength: number } {
  return {
    metaLength: 0,
    size: 0,
    write: () => undefined,
    discard: () => Promise.resolve(),
  };
}

function toInt(value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const parsed = Number.parseInt(value, 10);
  return Number.isFinite(parsed) && Math.abs(parsed) < 2 ** 31 ? parsed : undefined;
}
