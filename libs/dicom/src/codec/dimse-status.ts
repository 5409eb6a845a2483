/** The one table of DIMSE status codes the hub answers with or reads (PS3.4 B.2.3, C.4, PS3.7 C). */
export enum DimseStatus {
  Success = 0x0000,
  ProcessingFailure = 0x0110,
  SopClassNotSupported = 0x0122,
  NotAuthorized = 0x0124,
  OutOfResources = 0xa700,
  /** C-MOVE: Refused: Out of Resources, unable to perform sub-operations (PS3.4 C.4.2.1.5). */
  UnableToPerformSubOperations = 0xa702,
  /** C-MOVE: Refused: Move Destination unknown. */
  MoveDestinationUnknown = 0xa801,
  DataSetDoesNotMatchSopClass = 0xa900,
  /** C-FIND/C-MOVE: Error: Identifier does not match SOP Class (the same code as for a data set). */
  IdentifierDoesNotMatch = 0xa900,
  CannotUnderstand = 0xc000,
  /** C-FIND/C-MOVE: Failed: Unable to process (the same code as Cannot Understand). */
  UnableToProcess = 0xc000,
  /** C-MOVE: Warning: sub-operations complete, one or more failures (also Coercion of Data Elements). */
  SubOperationsWithFailures = 0xb000,
  Cancel = 0xfe00,
  Pending = 0xff00,
  /** C-FIND: Pending, optional keys not supported. */
  PendingWarning = 0xff01,
}

/** A pending C-FIND/C-MOVE response (0xFF00, 0xFF01): more follow. */
export function isPendingStatus(status: number | undefined): boolean {
  return status === DimseStatus.Pending || status === DimseStatus.PendingWarning;
}

/** A C-STORE the peer kept: Success or a warning (B000 coercion, B007 mismatch, B006 elements discarded). */
export function isStoredStatus(status: number | undefined): boolean {
  return status === 0 || (status !== undefined && (status & 0xf000) === 0xb000);
}

/** 0xA7xx, Refused: Out of Resources: the peer may take it later, so it is retried (PS3.4 B.2.3). */
export const OUT_OF_RESOURCES_RANGE = { first: 0xa700, last: 0xa7ff } as const;

export function isOutOfResources(status: number | undefined): boolean {
  return status !== undefined && status >= OUT_OF_RESOURCES_RANGE.first && status <= OUT_OF_RESOURCES_RANGE.last;
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

/** The name of a DIMSE status (PS3.4 B.2.3, PS3.7 C), by code or by the range it falls in. */
export function statusName(status: number): string {
  const exact: Record<number, string> = {
    0x0000: 'Success',
    0x0107: 'Attribute List Error',
    0x0110: 'Processing Failure',
    0x0111: 'Duplicate SOP Instance',
    0x0117: 'Invalid Object Instance',
    0x0122: 'SOP Class Not Supported',
    0x0124: 'Not Authorized',
    0x0210: 'Duplicate Invocation',
    0x0211: 'Unrecognized Operation',
    0x0212: 'Mistyped Argument',
    0xb000: 'Coercion of Data Elements',
    0xb006: 'Elements Discarded',
    0xb007: 'Data Set Does Not Match SOP Class (warning)',
    0xfe00: 'Cancel',
    0xff00: 'Pending',
    0xff01: 'Pending (optional keys not supported)',
  };
  if (exact[status] !== undefined) {
    return exact[status];
  }
  switch (status & 0xff00) {
    case 0xa700:
      return 'Refused: Out of Resources';
    case 0xa900:
      return 'Error: Data Set Does Not Match SOP Class';
    case 0xa800:
      return 'Refused: Move Destination Unknown';
  }
  if ((status & 0xf000) === 0xc000) {
    return 'Error: Cannot Understand';
  }
  if ((status & 0xf000) === 0xb000) {
    return 'Warning';
  }
  return 'Failure';
}

/** What an operator reads for a peer's answer: the status in hex, its name, and the peer's error comment. */
export function describeStatus(status: number, comment?: string): string {
  const text = `${formatStatus(status)} ${statusName(status)}`;
  return comment?.trim() ? `${text}: ${comment.trim()}` : text;
}

const REJECT_SOURCES: Record<number, { name: string; reasons: Record<number, string> }> = {
  1: {
    name: 'service user',
    reasons: {
      1: 'no reason given',
      2: 'application context name not supported',
      3: 'calling AE title not recognized',
      7: 'called AE title not recognized',
    },
  },
  2: { name: 'service provider (ACSE)', reasons: { 1: 'no reason given', 2: 'protocol version not supported' } },
  3: { name: 'service provider (presentation)', reasons: { 1: 'temporary congestion', 2: 'local limit exceeded' } },
};

/** An A-ASSOCIATE-RJ in words (PS3.8 9.3.4), e.g. "rejected permanent by the service user: called AE title not recognized". */
export function describeRejection(result: number, source: number, reason: number): string {
  const from = REJECT_SOURCES[source];
  const why = from?.reasons[reason] ?? `reason ${reason}`;
  return `rejected ${result === 1 ? 'permanent' : 'transient'} by the ${from?.name ?? `source ${source}`}: ${why}`;
}

const ABORT_REASONS: Record<number, string> = {
  0: 'reason not specified',
  1: 'unrecognized PDU',
  2: 'unexpected PDU',
  4: 'unrecognized PDU parameter',
  5: 'unexpected PDU parameter',
  6: 'invalid PDU parameter value',
};

/** An A-ABORT in words (PS3.8 9.3.8). */
export function describeAbort(source: number, reason: number): string {
  return source === 2
    ? `aborted by the service provider: ${ABORT_REASONS[reason] ?? `reason ${reason}`}`
    : 'aborted by the peer (service user)';
}
