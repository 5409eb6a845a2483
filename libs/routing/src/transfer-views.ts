import { Study, Transfer } from '@hub/db';

/** What the API and the CLI show of a transfer: ids and codes, no patient-identifying data. */
export interface TransferView {
  id: string;
  studyId: string;
  sender: string;
  recipient: string;
  folder: string;
  state: string;
  instances: number;
  hasReport: boolean;
  reportReceivedAt: string | null;
  expiresAt: string;
  createdAt: string;
}

export interface QuarantinedStudyView {
  studyId: string;
  studyInstanceUid: string;
  sender: string;
  recipient: string;
  folder: string;
  reason: string;
  instances: number;
  firstReceivedAt: string;
}

export function mapTransfer(transfer: Transfer, codes: Map<string, string>, instances: number): TransferView {
  return {
    id: transfer.id,
    studyId: transfer.studyId,
    sender: codes.get(transfer.senderTrustId) ?? transfer.senderTrustId,
    recipient: codes.get(transfer.recipientTrustId) ?? transfer.recipientTrustId,
    folder: transfer.folder,
    state: transfer.state,
    instances,
    hasReport: transfer.hasReport,
    reportReceivedAt: transfer.reportReceivedAt?.toISOString() ?? null,
    expiresAt: transfer.expiresAt.toISOString(),
    createdAt: transfer.createdAt.toISOString(),
  };
}

export function mapQuarantinedStudy(study: Study, codes: Map<string, string>): QuarantinedStudyView {
  return {
    studyId: study.id,
    studyInstanceUid: study.studyInstanceUid,
    sender: codes.get(study.senderTrustId) ?? study.senderTrustId,
    recipient: codes.get(study.recipientTrustId) ?? study.recipientTrustId,
    folder: study.folder,
    reason: study.quarantineReason ?? '',
    instances: study.instanceCount,
    firstReceivedAt: study.firstReceivedAt.toISOString(),
  };
}
