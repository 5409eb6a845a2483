import { Client, constants, log as dimseLog, requests } from 'dcmjs-dimse';
import { FileHandle, open } from 'node:fs/promises';
import type { Socket } from 'node:net';
import {
  CoercionContext,
  CoercionRuleInput,
  applyCoercion,
  coercionHeadLength,
  coercionScope,
} from '../codec/coercion';
import { encodeCStoreRequestPdu, encodePDataHeader, readCStoreResponsePdu } from '../codec/dimse-encoding';
import { describeStatus, isStoredStatus } from '../codec/dimse-status';
import { splitPart10 } from '../codec/part10';
import { explicitToImplicitLittleEndian } from '../codec/implicit-vr';
import {
  AssociationFailure,
  DEFAULT_SCU_TIMEOUTS,
  ProposedContext,
  ScuTarget,
  ScuTimeouts,
  openAssociation,
} from './scu-association';
import { TransferSyntax } from '../codec/transfer-syntax';

const { PresentationContextResult } = constants;

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
 * What dcmjs-dimse sees of a stored instance: its transfer syntax, for negotiation. The hub sends the
 * bytes itself (see sendStoredInstances), so the library never encodes it.
 */
class StoredDataset {
  constructor(
    private readonly path: string,
    /** The syntax it goes out in: the stored one, or the fall-back the peer accepted (the hub converts). */
    private transferSyntaxUid: string,
  ) {}

  getTransferSyntaxUid(): string {
    return this.transferSyntaxUid;
  }

  /** Makes the library pick the fall-back's context and leave the data set alone (it would transcode it). */
  goesAs(transferSyntaxUid: string): void {
    this.transferSyntaxUid = transferSyntaxUid;
  }

  getDenaturalizedDataset(): Buffer {
    throw new Error(`${this.path} is streamed by the hub, not encoded by dcmjs-dimse`);
  }

  getElement(): undefined {
    return undefined;
  }

  toString(): string {
    return `stored data set ${this.path}`;
  }
}

/** Reads of the stored file: the first one usually holds a small instance whole. */
const FIRST_READ_BYTES = 64 * 1024;
const READ_BYTES = 1024 * 1024;
/** dcmjs-dimse's own cap when the peer sets no maximum PDU length. */
const MAX_PDU_BYTES = 4 * 1024 * 1024;

/** A stored instance ready to go: its (transformed) head in memory, the rest still in the file. */
interface PreparedDataset {
  file: FileHandle;
  /** The data set's first bytes as they go out, transformed when there is a transform. */
  head: Buffer;
  /** Where in the file the bytes after the head start, and how many there are. */
  restOffset: number;
  restLength: number;
}

async function readAt(file: FileHandle, position: number, length: number, into?: Buffer): Promise<Buffer> {
  const buffer = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) {
      throw new Error(`unexpected end of file at byte ${position + filled}`);
    }
    filled += bytesRead;
  }
  return buffer;
}

async function prepareDataset(instance: StoredInstance, transform?: DatasetTransform): Promise<PreparedDataset> {
  const file = await open(instance.path, 'r');
  try {
    const first = await file.read(Buffer.allocUnsafe(FIRST_READ_BYTES), 0, FIRST_READ_BYTES, 0);
    // A short read of a regular file is its end: small instances need no stat.
    const size = first.bytesRead < FIRST_READ_BYTES ? first.bytesRead : (await file.stat()).size;
    let prefix: Buffer = first.buffer.subarray(0, first.bytesRead);
    // The meta group is short; re-read with room for it when a file's is not.
    let metaLength = splitPart10Prefix(prefix, size);
    if (metaLength === undefined) {
      prefix = await readAt(file, 0, Math.min(size, 16 * FIRST_READ_BYTES));
      metaLength = splitPart10Prefix(prefix, size);
      if (metaLength === undefined) {
        throw new Error('file meta information is too long');
      }
    }
    const datasetLength = size - metaLength;
    let head = prefix.subarray(metaLength);
    if (transform) {
      // Read on until the head is known: usually at once, as coerced elements come before the pixels.
      let length: number | undefined;
      for (;;) {
        length = coercionHeadLength(
          head,
          instance.transferSyntaxUid,
          transform.belowTag,
          head.length === datasetLength,
        );
        if (length !== undefined) {
          break;
        }
        const more = await readAt(
          file,
          metaLength + head.length,
          Math.min(Math.max(head.length, READ_BYTES), datasetLength - head.length),
        );
        head = Buffer.concat([head, more]);
      }
      const restOffset = metaLength + length;
      return {
        file,
        head: transform.apply(head.subarray(0, length), instance),
        restOffset,
        restLength: size - restOffset,
      };
    }
    return { file, head, restOffset: metaLength + head.length, restLength: datasetLength - head.length };
  } catch (error) {
    await file.close();
    throw error;
  }
}

/**
 * The same data set re-encoded as Implicit VR LE, in memory (the rare case of a peer that accepted only
 * that): the head as prepared (coerced) and the rest of the file, converted together.
 */
async function asImplicitVr(dataset: PreparedDataset): Promise<PreparedDataset> {
  const rest = dataset.restLength > 0 ? await readAt(dataset.file, dataset.restOffset, dataset.restLength) : undefined;
  const head = explicitToImplicitLittleEndian(rest ? Buffer.concat([dataset.head, rest]) : dataset.head);
  return { file: dataset.file, head, restOffset: dataset.restOffset + dataset.restLength, restLength: 0 };
}

/** Length of the preamble and meta group in a file's first bytes; undefined when they end first. */
function splitPart10Prefix(prefix: Buffer, fileSize: number): number | undefined {
  try {
    return splitPart10(prefix).meta.length;
  } catch (error) {
    if (prefix.length < fileSize && /truncated|no TransferSyntaxUID/.test((error as Error).message)) {
      return undefined;
    }
    throw error;
  }
}

/** Resolves once the socket has room again; rejects if it closes first. */
function drained(socket: Socket): Promise<void> {
  if (socket.destroyed) {
    return Promise.reject(new Error('connection closed while sending'));
  }
  if (!socket.writableNeedDrain) {
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      if (error) {
        reject(error);
      } else {
        resolve();
      }
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error('connection closed while sending'));
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}

/**
 * Cuts a data set of known length into P-DATA-TF PDUs as its bytes arrive, writing each PDU's header
 * and the caller's slices without copying them; one corked write (writev) per chunk.
 */
class PDataWriter {
  private written = 0;
  private leftInFragment = 0;

  constructor(
    private readonly socket: Socket,
    private readonly presentationContextId: number,
    private readonly fragmentBytes: number,
    private readonly total: number,
  ) {}

  write(chunk: Buffer): void {
    this.socket.cork();
    let offset = 0;
    while (offset < chunk.length) {
      if (this.leftInFragment === 0) {
        const fragment = Math.min(this.fragmentBytes, this.total - this.written);
        this.socket.write(
          encodePDataHeader(this.presentationContextId, fragment, {
            command: false,
            last: this.written + fragment === this.total,
          }),
        );
        this.leftInFragment = fragment;
      }
      const take = Math.min(this.leftInFragment, chunk.length - offset);
      this.socket.write(chunk.subarray(offset, offset + take));
      offset += take;
      this.leftInFragment -= take;
      this.written += take;
    }
    this.socket.uncork();
  }
}

interface NetworkInternals {
  socket: Socket;
  dimseStream?: unknown;
  pending: unknown[];
  /** Requests not yet sent, in order (the library shifts from the front). */
  requests: unknown[];
  /** The library aborts when no PDU has come in for pduTimeout; sending progress counts too. */
  lastPduTime?: number;
  _sendPDataTF(command: unknown, presentationContextId: number, maxPduLength: number): void;
  _processPdu(pdu: Buffer): unknown;
  sendRequests(requests: unknown[]): void;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

interface OutgoingRequest {
  getMessageId(): number;
  raiseDoneEvent(): void;
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
function sendableSyntax(
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

/**
 * Sends stored instances over one association, byte for byte: an instance goes in a presentation
 * context accepted with its own transfer syntax, or, stored as Explicit VR LE, in one accepted with
 * Implicit VR LE, converted losslessly (`sentAs` says so); else it fails with the reason. Each SOP class
 * and syntax is proposed in a context of its own (proposeContexts). With a feed (`more`), the association stays open for what it hands over: contexts are
 * negotiated for the first instances, so a later one whose SOP class and transfer syntax were not
 * among them is not sent (left unanswered, for the next association) and the feed is not asked again.
 * dcmjs-dimse negotiates and reads the responses; the hub writes each request itself (its P-DATA-TF
 * send, hooked on the library's network object): the command set encoded directly, then the data set
 * streamed from the file in PDUs of the peer's maximum length, waiting for the socket to drain, so
 * memory stays flat whatever the instance size, and the next instance's file is opened while the peer
 * answers. Also worked around: the receive buffer is cleared after each
 * C-STORE-RSP (the library keeps appending, so every response re-parses all earlier ones) and answered
 * requests leave the pending list. Nagle is off on the socket.
 */
export function sendStoredInstances(
  target: ScuTarget,
  instances: StoredInstance[],
  options: {
    /** Applied to each data set as it goes out (the recipient's coercion); the stored file never changes. */
    transform?: DatasetTransform;
    timeouts?: ScuTimeouts;
    /** Called as each instance's outcome is known (C-MOVE reports sub-operation progress from it). */
    onOutcome?: (outcome: InstanceOutcome) => void;
    /** Asked for more each time everything so far has been sent; the outcomes cover what it gave too. */
    more?: InstanceFeed;
  } = {},
): Promise<InstanceOutcome[]> {
  const transform = options.transform;
  // The library logs every PDU at TRACE by default, building the strings eagerly.
  dimseLog.setLevel('error');
  const outcomes = new Map<string, InstanceOutcome>();
  /** Instances that went out converted to Implicit VR LE, and the syntax each accepted context took. */
  const converted = new Set<string>();
  const acceptedSyntax = new Map<number, string>();
  const record = (answer: InstanceOutcome) => {
    const outcome = converted.has(answer.id) ? { ...answer, sentAs: TransferSyntax.ImplicitVrLittleEndian } : answer;
    outcomes.set(outcome.id, outcome);
    options.onOutcome?.(outcome);
  };
  const client = new Client();
  const byRequest = new Map<object, StoredInstance>();
  const prepared = new Map<object, Promise<PreparedDataset>>();
  const inFlight = new Map<number, OutgoingRequest>();
  const networkOf = () => (client as unknown as { network?: NetworkInternals }).network;
  const forget = (request: object) => {
    const network = networkOf();
    if (network) {
      const index = network.pending.indexOf(request);
      if (index >= 0) {
        network.pending.splice(index, 1);
      }
    }
  };
  const given = [...instances];
  const toRequest = (instance: StoredInstance): OutgoingRequest => {
    const request = new requests.CStoreRequest(undefined as unknown as string);
    request.setAffectedSopClassUid(instance.sopClassUid);
    request.setAffectedSopInstanceUid(instance.sopInstanceUid);
    (request as unknown as { setDataset(dataset: unknown): void }).setDataset(
      new StoredDataset(instance.path, instance.transferSyntaxUid),
    );
    request.on('response', (response: { getStatus(): number; getErrorComment?(): string | undefined }) => {
      const status = response.getStatus();
      record({
        id: instance.id,
        status,
        ...(isStoredStatus(status) ? {} : { error: describeStatus(status, response.getErrorComment?.()) }),
      });
      const network = networkOf();
      if (network) {
        network.dimseStream = undefined;
      }
      forget(request);
    });
    byRequest.set(request, instance);
    return request as unknown as OutgoingRequest;
  };
  for (const instance of instances) {
    client.addRequest(toRequest(instance) as unknown as requests.CStoreRequest);
  }

  const prepare = (request: object): Promise<PreparedDataset> => {
    let promise = prepared.get(request);
    if (!promise) {
      promise = prepareDataset(byRequest.get(request)!, transform);
      // Awaited when the request goes out; a failure is reported then, against its instance.
      promise.catch(() => undefined);
      prepared.set(request, promise);
    }
    return promise;
  };

  const sendRequest = async (
    network: NetworkInternals,
    request: OutgoingRequest,
    presentationContextId: number,
    maxPduLength: number,
  ): Promise<void> => {
    const instance = byRequest.get(request)!;
    const upcoming = network.requests[0];
    let dataset: PreparedDataset;
    try {
      dataset = await prepare(request);
      const sentAs = acceptedSyntax.get(presentationContextId);
      if (sentAs === TransferSyntax.ImplicitVrLittleEndian && instance.transferSyntaxUid !== sentAs) {
        dataset = await asImplicitVr(dataset);
        converted.add(instance.id);
      }
    } catch (error) {
      // Nothing of it has gone out: only this instance fails, and the association goes on.
      record({ id: instance.id, error: `cannot read the stored instance: ${(error as Error).message}` });
      forget(request);
      request.raiseDoneEvent();
      return;
    } finally {
      prepared.delete(request);
      if (upcoming && byRequest.has(upcoming)) {
        void prepare(upcoming);
      }
    }
    const socket = network.socket;
    inFlight.set(request.getMessageId(), request);
    try {
      if (socket.destroyed) {
        throw new Error('connection closed');
      }
      socket.write(
        encodeCStoreRequestPdu({
          presentationContextId,
          messageId: request.getMessageId(),
          sopClassUid: instance.sopClassUid,
          sopInstanceUid: instance.sopInstanceUid,
        }),
      );
      const fragmentBytes = (maxPduLength === 0 ? MAX_PDU_BYTES : Math.min(maxPduLength, MAX_PDU_BYTES)) - 6;
      const total = dataset.head.length + dataset.restLength;
      if (total === 0) {
        socket.write(encodePDataHeader(presentationContextId, 0, { command: false, last: true }));
        return;
      }
      const writer = new PDataWriter(socket, presentationContextId, fragmentBytes, total);
      writer.write(dataset.head);
      let position = dataset.restOffset;
      const end = dataset.restOffset + dataset.restLength;
      // Two buffers in turn: one block read ahead while the previous one drains (the socket lets go of a
      // buffer once drained, before it is read into again).
      const blockBytes = Math.min(READ_BYTES, dataset.restLength);
      const buffers = [
        Buffer.allocUnsafe(blockBytes),
        Buffer.allocUnsafe(dataset.restLength > blockBytes ? blockBytes : 0),
      ];
      let turn = 0;
      const readNext = () => {
        const buffer = buffers[turn];
        turn = 1 - turn;
        return readAt(dataset.file, position, Math.min(blockBytes, end - position), buffer);
      };
      let next = position < end ? readNext() : undefined;
      while (next) {
        await drained(socket);
        network.lastPduTime = Date.now();
        const block = await next;
        position += block.length;
        next = position < end ? readNext() : undefined;
        writer.write(block);
      }
      await drained(socket);
    } finally {
      dataset.file.close().catch(() => undefined);
    }
  };

  /** The contexts the peer accepted: (SOP class, transfer syntax) pairs an instance must match. */
  let accepted: Array<{ sopClassUid: string; transferSyntaxUid: string }> = [];
  const fits = (instance: StoredInstance) => sendableSyntax(instance, accepted) !== undefined;
  const goesAsAccepted = (request: object, instance: StoredInstance) =>
    (request as unknown as { getDataset(): StoredDataset })
      .getDataset()
      .goesAs(sendableSyntax(instance, accepted) ?? instance.transferSyntaxUid);

  return new Promise<InstanceOutcome[]>((resolve, reject) => {
    const all = () => given.map((instance) => outcomes.get(instance.id) ?? { id: instance.id, error: NOT_ANSWERED });

    client.on(
      'associationAccepted',
      (association: {
        getPresentationContexts(): Array<{ id: number }>;
        getPresentationContext(id: number): {
          getAbstractSyntaxUid(): string;
          getResult(): number;
          getAcceptedTransferSyntaxUid(): string;
        };
      }) => {
        const acceptedContexts = association
          .getPresentationContexts()
          .map((proposed) => ({ id: proposed.id, context: association.getPresentationContext(proposed.id) }))
          .filter(({ context }) => context.getResult() === PresentationContextResult.Accept);
        accepted = acceptedContexts.map(({ context }) => ({
          sopClassUid: context.getAbstractSyntaxUid(),
          transferSyntaxUid: context.getAcceptedTransferSyntaxUid(),
        }));
        acceptedContexts.forEach(({ id, context }) => acceptedSyntax.set(id, context.getAcceptedTransferSyntaxUid()));
        // Runs before the library sends: drop what cannot go, with the reason.
        const queue = (client as unknown as { requests: object[] }).requests;
        for (const request of [...queue]) {
          const instance = byRequest.get(request)!;
          if (fits(instance)) {
            goesAsAccepted(request, instance);
          } else {
            queue.splice(queue.indexOf(request), 1);
            record({
              id: instance.id,
              error: `the peer accepted no presentation context for ${instance.sopClassUid} in ${instance.transferSyntaxUid}`,
            });
          }
        }
      },
    );
    openAssociation(
      client,
      target,
      options.timeouts ?? DEFAULT_SCU_TIMEOUTS,
      (failure) => {
        // Files opened ahead for requests that never went out.
        for (const promise of prepared.values()) {
          promise.then((dataset) => dataset.file.close()).catch(() => undefined);
        }
        prepared.clear();
        if (failure) {
          reject(new AssociationFailedError(failure, all()));
        } else {
          resolve(all());
        }
      },
      proposeContexts(instances),
    );
    const network = networkOf()!;
    // One request on the wire at a time, even if a peer answers before the last fragment.
    let sending = Promise.resolve();
    // C-STORE-RSPs are read here (dcmjs-dimse parses each through dcmjs); anything else goes to the library.
    const processPdu = network._processPdu.bind(network);
    network._processPdu = (pdu: Buffer) => {
      const response = readCStoreResponsePdu(pdu);
      const request = response && inFlight.get(response.messageIdBeingRespondedTo);
      if (!response || !request) {
        return processPdu(pdu);
      }
      const instance = byRequest.get(request)!;
      inFlight.delete(response.messageIdBeingRespondedTo);
      record({
        id: instance.id,
        status: response.status,
        ...(isStoredStatus(response.status) ? {} : { error: describeStatus(response.status, response.errorComment) }),
      });
      forget(request);
      request.raiseDoneEvent();
      return undefined;
    };
    if (options.more) {
      keepOpenWhileFed(network, options.more, (batch) => {
        given.push(...batch);
        // Negotiated for the first instances only: one that needs another context waits for the next association.
        const cut = batch.findIndex((instance) => !fits(instance));
        const sendable = cut < 0 ? batch : batch.slice(0, cut);
        const next = sendable.map((instance) => {
          const request = toRequest(instance);
          goesAsAccepted(request, instance);
          return request;
        });
        return { requests: next, last: cut >= 0 };
      });
    }
    network._sendPDataTF = (command, presentationContextId, maxPduLength) => {
      sending = sending
        .then(() => sendRequest(network, command as OutgoingRequest, presentationContextId, maxPduLength))
        .catch((error: Error) => {
          // Part of the request may be on the wire: the association cannot go on.
          network.socket.destroy(new Error(`sending ${byRequest.get(command as object)?.id}: ${error.message}`));
        });
    };
  });
}

/**
 * Keeps the association open while the feed has more: the library releases once its request queue is
 * empty ("done"), so that moment asks the feed first, and only an empty answer (or the end of what fits)
 * lets the release go ahead.
 */
function keepOpenWhileFed(
  network: NetworkInternals,
  more: InstanceFeed,
  take: (batch: StoredInstance[]) => { requests: OutgoingRequest[]; last: boolean },
): void {
  let fed = true;
  const emit = network.emit.bind(network);
  network.emit = (event: string | symbol, ...args: unknown[]): boolean => {
    if (event !== 'done' || !fed) {
      return emit(event, ...args);
    }
    void more().then(
      (batch) => {
        if (network.socket.destroyed) {
          return;
        }
        const { requests: next, last } = take(batch);
        fed = !last && batch.length > 0;
        if (next.length > 0) {
          network.lastPduTime = Date.now();
          network.sendRequests(next);
        } else {
          emit('done');
        }
      },
      () => {
        fed = false;
        emit('done');
      },
    );
    return true;
  };
}

/**
 * The recipient's coercion as the SCU applies it to each data set going out (push or C-MOVE): only
 * the leading elements up to the highest tag the rules name are rewritten. None without rules.
 */
export function coercionTransform(
  rules: CoercionRuleInput[],
  context: CoercionContext,
  onProblem: (problem: string) => void,
): DatasetTransform | undefined {
  if (rules.length === 0) {
    return undefined;
  }
  return {
    belowTag: coercionScope(rules),
    apply: (head, instance) => {
      const result = applyCoercion(head, instance.transferSyntaxUid, rules, context);
      result.problems.forEach(onProblem);
      return result.dataset;
    },
  };
}
