import { BadRequestException, Injectable } from '@nestjs/common';
import { TRANSFER_STATES, TransferRepository, TransferState } from '@hub/db';
import { QuarantineService } from './quarantine.service';
import { RoutingService } from './routing.service';
import { QuarantinedStudyView, TransferView, mapQuarantinedStudy, mapTransfer } from './transfer-views';

export interface TransferQuery {
  state?: string;
  trust?: string;
  folder?: string;
  withoutReport?: boolean;
}

/** Listings for the API and the CLI, with filters checked and named when wrong. */
@Injectable()
export class TransferQueryService {
  constructor(
    private readonly transfers: TransferRepository,
    private readonly routing: RoutingService,
    private readonly quarantine: QuarantineService,
  ) {}

  async listTransfers(query: TransferQuery): Promise<TransferView[]> {
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
    });
    return Promise.all(
      transfers.map(async (transfer) => mapTransfer(transfer, codes, await this.transfers.countInstances(transfer.id))),
    );
  }

  async listQuarantined(): Promise<QuarantinedStudyView[]> {
    const codes = await this.routing.trustCodes();
    return (await this.quarantine.list()).map((study) => mapQuarantinedStudy(study, codes));
  }
}
