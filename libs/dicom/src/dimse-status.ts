/** DIMSE status codes the hub answers with (PS3.4 B.2.3, PS3.7 C). */
export enum DimseStatus {
  Success = 0x0000,
  ProcessingFailure = 0x0110,
  SopClassNotSupported = 0x0122,
  NotAuthorized = 0x0124,
  OutOfResources = 0xa700,
  DataSetDoesNotMatchSopClass = 0xa900,
  CannotUnderstand = 0xc000,
}

/** A C-STORE the peer kept: Success or a warning (B000 coercion, B007 mismatch, B006 elements discarded). */
export function isStoredStatus(status: number | undefined): boolean {
  return status === 0 || (status !== undefined && (status & 0xf000) === 0xb000);
}

export function formatStatus(status: number): string {
  return `0x${status.toString(16).padStart(4, '0').toUpperCase()}`;
}

/** A-ASSOCIATE-RJ reasons for result "rejected permanent", source "service user" (PS3.8 9.3.4). */
export enum AssociationRejectReason {
  NoReasonGiven = 1,
  CallingAeNotRecognized = 3,
  CalledAeNotRecognized = 7,
}
