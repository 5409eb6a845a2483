import { BadRequestException, Injectable } from '@nestjs/common';
import { StudyRepository, TRANSFER_STATES, TransferRepository, TransferState } from '@hub/db';
import { QuarantineService } from './quarantine.service';
import { RoutingService } from './routing.service';
import { QuarantinedStudyView, TransferView, mapQuarantinedStudy, mapTransfer } from './transfer-views';

export interface TransferQuery {
  state?: string;
  trust?: string;
  folder?: string;
  withoutReport?: boolean;
  studyInstanceUid?: string;
  accessionNumber?: string;
}

/** A transfer as the operator's CLI lists it: which study, and why its delivery last failed. */
export interface TransferSummaryView extends TransferView {
  studyInstanceUid: string;
  lastError: string | null;
}

/** Listings for the API and the CLI, with filters checked and named when wrong. */
@Injectable()
export class TransferQueryService {
  constructor(
    private readonly transfers: TransferRepository,
    private readonly studies: StudyRepository,
    private readonly routing: RoutingService,
    private readonly quarantine: QuarantineService,
  ) {}

  async listTransfers(query: TransferQuery): Promise<TransferSummaryView[]> {
    if (query.state && !TRANSFER_STATES.includes(query.state as TransferState)) {
      throw new BadRequestException(`state: expected one of ${TRANSFER_STATES.join(', ')}`);
    }
    if (query.folder && query.folder !== 'emergency' && query.folder !== 'elective') {
      throw new BadRequestException('folder: expected emergency or elective');
    }
    const codes = await this.routing.trustCodes();
    let trustId: string | undefined;
    if (query.trust) {
      trustId = [...codes.entries()].find(([, code]) => code === query.trust)?.[0];
      if (!trustId) {
        throw new BadRequestException(`trust: unknown trust "${query.trust}"`);
      }
    }
    const transfers = await this.transfers.list({
      state: query.state as TransferState | undefined,
      trustId,
      folder: query.folder as 'emergency' | 'elective' | undefined,
      withoutReport: query.withoutReport,
      studyInstanceUid: query.studyInstanceUid,
      accessionNumber: query.accessionNumber,
    });
    const studies = new Map(
      (transfers.length > 0 ? await this.studies.getByIds([...new Set(transfers.map((row) => row.studyId))]) : []).map(
        (study) => [study.id, study.studyInstanceUid],
      ),
    );
    return Promise.all(
      transfers.map(async (transfer) => ({
        ...mapTransfer(transfer, codes, await this.transfers.countInstances(transfer.id)),
        studyInstanceUid: studies.get(transfer.studyId) ?? '',
        lastError: transfer.lastError,
      })),
    );
  }

  async listQuarantined(): Promise<QuarantinedStudyView[]> {
    const codes = await this.routing.trustCodes();
    return (await this.quarantine.list()).map((study) => mapQuarantinedStudy(study, codes));
  }
}
