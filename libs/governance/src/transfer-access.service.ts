import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { mayAccessExchange, seesRestrictedStudies, trustScope } from '@hub/accounts';
import {
  AuditEventRepository,
  Study,
  StudyRepository,
  TRANSFER_SORTS,
  TRANSFER_STATES,
  Transfer,
  TransferFilter,
  TransferPageRow,
  TransferRepository,
  TransferSort,
  TrustRepository,
} from '@hub/db';
import { TransferView, mapTransfer } from '@hub/routing';
import { AuditEventView, mapAuditEvent } from './audit-views';
import { PortalCaller, auditActor } from './portal-actor';
import { appliedFilter, checkRange, optionalChoice, optionalDate, optionalInt, optionalText } from './query-params';
import { StudyRestrictionService } from './study-restriction.service';

/** A transfer as the portal lists it: how many of its instances are delivered, its last error, what the study is. */
export interface TransferListView extends TransferView {
  delivered: number;
  lastError: string | null;
  /** What a list needs to tell studies apart; no patient identifiers. */
  study: { modalities: string[]; studyDate: string | null; studyDescription: string | null };
}

/** One page of a transfer listing: `total` is every transfer the filters match, `items` this page of them. */
export interface TransferPage {
  page: number;
  pageSize: number;
  total: number;
  sort: TransferSort;
  order: 'asc' | 'desc';
  items: TransferListView[];
}

export interface TransferDetailView extends TransferListView {
  lastError: string | null;
  deliveredAt: string | null;
  flag: string | null;
  study: {
    studyInstanceUid: string;
    patientId: string | null;
    issuerOfPatientId: string | null;
    accessionNumber: string | null;
    studyDate: string | null;
    studyDescription: string | null;
    modalities: string[];
    restricted: boolean;
  };
  /** This transfer's own audit events (its study row, its exchange), oldest first. */
  timeline: AuditEventView[];
}

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

function pageItem(row: TransferPageRow, codes: Map<string, string>): TransferListView {
  return {
    ...mapTransfer(row.transfer, codes, row.instances),
    delivered: row.delivered,
    lastError: row.transfer.lastError,
    study: row.study,
  };
}

/**
 * Transfers as portal users see them: each user within their trust's scope, clinicians without
 * restricted studies, and every read audited (a listing as a Query, a transfer opened as DICOM
 * Instances Accessed, a restricted study as a Security Alert too).
 */
@Injectable()
export class TransferAccessService {
  constructor(
    private readonly transfers: TransferRepository,
    private readonly studies: StudyRepository,
    private readonly trusts: TrustRepository,
    private readonly events: AuditEventRepository,
    private readonly restriction: StudyRestrictionService,
    private readonly audit: AuditService,
  ) {}

  /**
   * A page of the caller's transfers, newest first unless sorted otherwise: two queries whatever the page
   * size or the number of transfers (see TransferRepository.page).
   */
  async list(caller: PortalCaller, query: Record<string, unknown>): Promise<TransferPage> {
    const page = optionalInt('page', query.page, 1, 1_000_000) ?? 1;
    const pageSize = optionalInt('pageSize', query.pageSize, 1, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
    const sort = optionalChoice('sort', query.sort, TRANSFER_SORTS) ?? 'received';
    const order = optionalChoice('order', query.order, ['asc', 'desc'] as const) ?? 'desc';
    const state = optionalChoice('state', query.state, TRANSFER_STATES);
    const folder = optionalChoice('folder', query.folder, ['emergency', 'elective'] as const);
    const withoutReport = optionalChoice('withoutReport', query.withoutReport, ['true', 'false'] as const) === 'true';
    const patientId = optionalText('patientId', query.patientId);
    const studyInstanceUid = optionalText('studyInstanceUid', query.studyInstanceUid);
    const accessionNumber = optionalText('accessionNumber', query.accessionNumber, 16);
    const from = optionalDate('from', query.from);
    const to = optionalDate('to', query.to);
    checkRange(from, to);
    const codes = await this.trusts.codesById();
    const scope = trustScope(caller.user);
    let trust = optionalText('trust', query.trust, 16);
    if (scope !== null && trust !== undefined && trust !== scope) {
      throw new ForbiddenException(`trust: you may only see transfers of ${scope}`);
    }
    trust ??= scope ?? undefined;
    let trustId: string | undefined;
    if (trust !== undefined) {
      trustId = [...codes.entries()].find(([, code]) => code === trust)?.[0];
      if (!trustId && scope === null) {
        throw new BadRequestException(`trust: unknown trust "${trust}"`);
      }
    }
    const filter: TransferFilter = {
      state,
      folder,
      withoutReport,
      patientId,
      studyInstanceUid,
      accessionNumber,
      from,
      to,
      trustId,
    };
    if (!seesRestrictedStudies(caller.user)) {
      filter.hideRestricted = { patientIds: this.restriction.restrictedPatientIds };
    }
    const { total, rows } =
      trust !== undefined && !trustId
        ? { total: 0, rows: [] as TransferPageRow[] }
        : await this.transfers.page(filter, { sort, order, offset: (page - 1) * pageSize, limit: pageSize });
    const items = rows.map((row) => pageItem(row, codes));
    await this.audit.record('transfers-queried', {
      outcome: AuditOutcome.Success,
      actor: auditActor(caller),
      sourceTrust: trust,
      patientId,
      studyInstanceUid,
      detail: {
        filter: appliedFilter({
          state,
          trust,
          folder,
          withoutReport,
          patientId,
          studyInstanceUid,
          accessionNumber,
          from,
          to,
        }),
        page,
        pageSize,
        results: items.length,
        total,
      },
    });
    if (seesRestrictedStudies(caller.user) && rows.length > 0) {
      // Only the restricted studies of this page raise an alert; one query for the page's studies.
      const studies = await this.studies.getByIds([...new Set(rows.map((row) => row.transfer.studyId))]);
      for (const study of studies) {
        if (this.restriction.isRestricted(study)) {
          for (const row of rows.filter((candidate) => candidate.transfer.studyId === study.id)) {
            await this.restriction.alertAccess(caller, study, 'listed', row.transfer.id);
          }
        }
      }
    }
    return { page, pageSize, total, sort, order, items };
  }

  async detail(caller: PortalCaller, transferId: string): Promise<TransferDetailView> {
    const transfer = await this.transfers.getById(transferId);
    const study = transfer ? await this.studies.getById(transfer.studyId) : null;
    if (!transfer || !study) {
      throw new NotFoundException(`no transfer ${transferId}`);
    }
    const codes = await this.trusts.codesById();
    const sender = codes.get(transfer.senderTrustId) ?? transfer.senderTrustId;
    const recipient = codes.get(transfer.recipientTrustId) ?? transfer.recipientTrustId;
    if (!mayAccessExchange(caller.user, { sender, recipient })) {
      throw new ForbiddenException(`transfer ${transferId} is not one of your trust's`);
    }
    const restricted = this.restriction.isRestricted(study);
    if (restricted && !seesRestrictedStudies(caller.user)) {
      await this.restriction.alertAccess(caller, study, 'refused', transfer.id);
      throw new NotFoundException(`no transfer ${transferId}`);
    }
    const timeline = (
      await this.events.getForTransfer({
        id: transfer.id,
        studyId: study.id,
        studyInstanceUid: study.studyInstanceUid,
        sourceTrust: sender,
        destinationTrust: recipient,
        folder: transfer.folder,
      })
    ).map(mapAuditEvent);
    await this.audit.record('transfer-viewed', {
      outcome: AuditOutcome.Success,
      actor: auditActor(caller),
      sourceTrust: sender,
      destinationTrust: recipient,
      patientId: study.patientId ?? undefined,
      studyInstanceUid: study.studyInstanceUid,
      detail: { transferId: transfer.id, studyId: study.id },
    });
    if (restricted) {
      await this.restriction.alertAccess(caller, study, 'viewed', transfer.id);
    }
    return {
      ...(await this.listView(transfer, codes, study)),
      deliveredAt: transfer.deliveredAt?.toISOString() ?? null,
      flag: transfer.flag,
      study: {
        studyInstanceUid: study.studyInstanceUid,
        patientId: study.patientId,
        issuerOfPatientId: study.issuerOfPatientId,
        accessionNumber: study.accessionNumber,
        studyDate: study.studyDate,
        studyDescription: study.studyDescription,
        modalities: study.modalitiesInStudy ? study.modalitiesInStudy.split('\\') : [],
        restricted,
      },
      timeline,
    };
  }

  private async listView(
    transfer: Transfer,
    codes: Map<string, string>,
    study: Study | null,
  ): Promise<TransferListView> {
    const { delivered, total } = await this.transfers.countByState(transfer.id);
    return {
      ...mapTransfer(transfer, codes, total),
      delivered,
      lastError: transfer.lastError,
      study: {
        modalities: study?.modalitiesInStudy ? study.modalitiesInStudy.split('\\') : [],
        studyDate: study?.studyDate ?? null,
        studyDescription: study?.studyDescription ?? null,
      },
    };
  }
}
