import { TransferSyntax } from '../codec/transfer-syntax';
import { AssociationFailure, ProposedContext } from './scu-association';

export interface StoredInstance {
  /** Caller's id for the outcome. */
  id: string;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** Absolute path of the stored Part-10 file. */
  path: string;
}

export interface InstanceOutcome {
  id: string;
  /** DIMSE status from the peer; undefined when the instance was never answered. */
  status?: number;
  /** Why it was not stored: the peer's status in words with its error comment, or what failed here. */
  error?: string;
  /** Set when it went out in another transfer syntax than stored (Explicit → Implicit VR LE, lossless). */
  sentAs?: string;
}

/** The error of an instance the association ended before sending or answering: it goes again next time. */
export const NOT_ANSWERED = 'not answered';

/** Whether the peer answered the instance, or it failed here; false for one left for the next association. */
export function wasAnswered(outcome: InstanceOutcome): boolean {
  return outcome.status !== undefined || outcome.error !== NOT_ANSWERED;
}

export class AssociationFailedError extends Error {
  constructor(
    readonly failure: AssociationFailure,
    readonly outcomes: InstanceOutcome[],
  ) {
    super(failure.message);
  }
}

/**
 * A change applied to each data set as it goes out (the recipient's coercion). It sees only the data
 * set's leading top-level elements with tags below `belowTag` (all of them, for a data set in a syntax
 * it cannot walk: deflated, big endian, it then gets an empty head); the rest goes out as stored, so a
 * large instance is never held in memory.
 */
export interface DatasetTransform {
  belowTag: number;
  apply(head: Buffer, instance: StoredInstance): Buffer;
}

/**
 * The contexts to propose for these instances: each SOP class with each stored transfer syntax in a
 * context of its own, and, for an instance stored as Explicit VR LE, Implicit VR LE in another context as
 * a fall-back the hub converts to losslessly. Fall-backs go last, so the stored syntaxes always fit.
 */
export function proposeContexts(instances: Iterable<Pick<StoredInstance, 'sopClassUid' | 'transferSyntaxUid'>>) {
  const stored = new Map<string, ProposedContext>();
  const fallbacks = new Map<string, ProposedContext>();
  for (const instance of instances) {
    stored.set(`${instance.sopClassUid}|${instance.transferSyntaxUid}`, {
      abstractSyntaxUid: instance.sopClassUid,
      transferSyntaxUid: instance.transferSyntaxUid,
    });
    if (instance.transferSyntaxUid === TransferSyntax.ExplicitVrLittleEndian) {
      fallbacks.set(`${instance.sopClassUid}|${TransferSyntax.ImplicitVrLittleEndian}`, {
        abstractSyntaxUid: instance.sopClassUid,
        transferSyntaxUid: TransferSyntax.ImplicitVrLittleEndian,
      });
    }
  }
  return [...stored.values(), ...[...fallbacks].filter(([key]) => !stored.has(key)).map(([, context]) => context)];
}

/** The syntax an instance goes out in over these accepted contexts: its own, else a lossless fall-back. */
export function sendableSyntax(
  instance: Pick<StoredInstance, 'sopClassUid' | 'transferSyntaxUid'>,
  accepted: Array<{ sopClassUid: string; transferSyntaxUid: string }>,
): string | undefined {
  const takes = (transferSyntaxUid: string) =>
    accepted.some(
      (context) => context.sopClassUid === instance.sopClassUid && context.transferSyntaxUid === transferSyntaxUid,
    );
  if (takes(instance.transferSyntaxUid)) {
    return instance.transferSyntaxUid;
  }
  if (
    instance.transferSyntaxUid === TransferSyntax.ExplicitVrLittleEndian &&
    takes(TransferSyntax.ImplicitVrLittleEndian)
  ) {
    return TransferSyntax.ImplicitVrLittleEndian;
  }
  return undefined;
}

/**
 * More instances for an association that has sent everything it was given, or [] to end it (release).
 * It must not throw: a failure of its own ends the stream with [] and is the caller's to report.
 */
export type InstanceFeed = () => Promise<StoredInstance[]>;
