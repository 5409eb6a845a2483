import { encodeCStoreRequestPdu, encodePDataHeader, readCStoreResponsePdu } from '../codec/dimse-encoding';
import { describeStatus, isStoredStatus } from '../codec/dimse-status';
import { TransferSyntax } from '../codec/transfer-syntax';
import {
  CStoreRequest,
  Client,
  ScuNetwork,
  constants,
  dimseLog,
  queuedRequests,
  requests,
} from '../transport/dcmjs-bridge';
import { PDataWriter, drained } from '../transport/pdata-writer';
import { AssociationFailure, DEFAULT_SCU_TIMEOUTS, ScuTarget, ScuTimeouts, openAssociation } from './scu-association';
import {
  MAX_PDU_BYTES,
  PreparedDataset,
  READ_BYTES,
  StoredDataset,
  asImplicitVr,
  prepareDataset,
  readAt,
} from './stored-dataset';
import {
  AssociationFailedError,
  DatasetTransform,
  InstanceFeed,
  InstanceOutcome,
  NOT_ANSWERED,
  StoredInstance,
  proposeContexts,
  sendableSyntax,
} from './stored-instance';

const { PresentationContextResult } = constants;

export interface StoreOptions {
  /** Applied to each data set as it goes out (the recipient's coercion); the stored file never changes. */
  transform?: DatasetTransform;
  timeouts?: ScuTimeouts;
  /** Called as each instance's outcome is known (C-MOVE reports sub-operation progress from it). */
  onOutcome?: (outcome: InstanceOutcome) => void;
  /** Asked for more each time everything so far has been sent; the outcomes cover what it gave too. */
  more?: InstanceFeed;
}

/** What the hub uses of a library request it queued. */
interface OutgoingRequest {
  getMessageId(): number;
  raiseDoneEvent(): void;
}

/** What the library hands over on association accept. */
interface AcceptedAssociation {
  getPresentationContexts(): Array<{ id: number }>;
  getPresentationContext(id: number): {
    getAbstractSyntaxUid(): string;
    getResult(): number;
    getAcceptedTransferSyntaxUid(): string;
  };
}

/**
 * One C-STORE SCU association over stored instances (see sendStoredInstances for what it does).
 * dcmjs-dimse negotiates and reads the responses it is left; this class writes each request itself,
 * reads C-STORE-RSPs first, and keeps the association open while the feed has more.
 */
export class StoreAssociation {
  private readonly outcomes = new Map<string, InstanceOutcome>();
  /** Instances that went out converted to Implicit VR LE, and the syntax each accepted context took. */
  private readonly converted = new Set<string>();
  private readonly acceptedSyntax = new Map<number, string>();
  private readonly client = new Client();
  private readonly byRequest = new Map<object, StoredInstance>();
  private readonly prepared = new Map<object, Promise<PreparedDataset>>();
  private readonly inFlight = new Map<number, OutgoingRequest>();
  /** Every instance this association was given, the feed's included. */
  private readonly given: StoredInstance[];
  /** The contexts the peer accepted: (SOP class, transfer syntax) pairs an instance must match. */
  private accepted: Array<{ sopClassUid: string; transferSyntaxUid: string }> = [];
  private network?: ScuNetwork;
  /** One request on the wire at a time, even if a peer answers before the last fragment. */
  private sending = Promise.resolve();

  constructor(
    private readonly target: ScuTarget,
    private readonly instances: StoredInstance[],
    private readonly options: StoreOptions = {},
  ) {
    this.given = [...instances];
  }

  /** Opens the association, sends everything, and resolves with every instance's outcome once it has closed. */
  run(): Promise<InstanceOutcome[]> {
    // The library logs every PDU at TRACE by default, building the strings eagerly.
    dimseLog.setLevel('error');
    for (const instance of this.instances) {
      this.client.addRequest(this.toRequest(instance) as unknown as CStoreRequest);
    }
    return new Promise<InstanceOutcome[]>((resolve, reject) => {
      this.client.on('associationAccepted', (association: AcceptedAssociation) =>
        this.associationAccepted(association),
      );
      openAssociation(
        this.client,
        this.target,
        this.options.timeouts ?? DEFAULT_SCU_TIMEOUTS,
        (failure) => this.closed(failure, resolve, reject),
        proposeContexts(this.instances),
      );
      const network = ScuNetwork.of(this.client)!;
      this.network = network;
      // C-STORE-RSPs are read here (dcmjs-dimse parses each through dcmjs); anything else goes to the library.
      network.interceptPdus((pdu) => this.takeResponse(pdu));
      if (this.options.more) {
        this.keepOpenWhileFed(network, this.options.more);
      }
      network.sendDataWith((request, presentationContextId, maxPduLength) => {
        this.sending = this.sending
          .then(() => this.sendRequest(network, request as OutgoingRequest, presentationContextId, maxPduLength))
          .catch((error: Error) => {
            // Part of the request may be on the wire: the association cannot go on.
            network.socket.destroy(new Error(`sending ${this.byRequest.get(request)?.id}: ${error.message}`));
          });
      });
    });
  }

  private all(): InstanceOutcome[] {
    return this.given.map((instance) => this.outcomes.get(instance.id) ?? { id: instance.id, error: NOT_ANSWERED });
  }

  private closed(
    failure: AssociationFailure | undefined,
    resolve: (outcomes: InstanceOutcome[]) => void,
    reject: (error: Error) => void,
  ): void {
    // Files opened ahead for requests that never went out.
    for (const promise of this.prepared.values()) {
      promise.then((dataset) => dataset.file.close()).catch(() => undefined);
    }
    this.prepared.clear();
    if (failure) {
      reject(new AssociationFailedError(failure, this.all()));
    } else {
      resolve(this.all());
    }
  }

  private record(answer: InstanceOutcome): void {
    const outcome = this.converted.has(answer.id)
      ? { ...answer, sentAs: TransferSyntax.ImplicitVrLittleEndian }
      : answer;
    this.outcomes.set(outcome.id, outcome);
    this.options.onOutcome?.(outcome);
  }

  private toRequest(instance: StoredInstance): OutgoingRequest {
    const request = new requests.CStoreRequest(undefined as unknown as string);
    request.setAffectedSopClassUid(instance.sopClassUid);
    request.setAffectedSopInstanceUid(instance.sopInstanceUid);
    (request as unknown as { setDataset(dataset: unknown): void }).setDataset(
      new StoredDataset(instance.path, instance.transferSyntaxUid),
    );
    request.on('response', (response: { getStatus(): number; getErrorComment?(): string | undefined }) => {
      const status = response.getStatus();
      this.record({
        id: instance.id,
        status,
        ...(isStoredStatus(status) ? {} : { error: describeStatus(status, response.getErrorComment?.()) }),
      });
      this.network?.clearDimseStream();
      this.network?.forget(request);
    });
    this.byRequest.set(request, instance);
    return request as unknown as OutgoingRequest;
  }

  private fits(instance: StoredInstance): boolean {
    return sendableSyntax(instance, this.accepted) !== undefined;
  }

  private goesAsAccepted(request: object, instance: StoredInstance): void {
    (request as unknown as { getDataset(): StoredDataset })
      .getDataset()
      .goesAs(sendableSyntax(instance, this.accepted) ?? instance.transferSyntaxUid);
  }

  private associationAccepted(association: AcceptedAssociation): void {
    const acceptedContexts = association
      .getPresentationContexts()
      .map((proposed) => ({ id: proposed.id, context: association.getPresentationContext(proposed.id) }))
      .filter(({ context }) => context.getResult() === PresentationContextResult.Accept);
    this.accepted = acceptedContexts.map(({ context }) => ({
      sopClassUid: context.getAbstractSyntaxUid(),
      transferSyntaxUid: context.getAcceptedTransferSyntaxUid(),
    }));
    acceptedContexts.forEach(({ id, context }) => this.acceptedSyntax.set(id, context.getAcceptedTransferSyntaxUid()));
    // Runs before the library sends: drop what cannot go, with the reason.
    const queue = queuedRequests(this.client);
    for (const request of [...queue]) {
      const instance = this.byRequest.get(request)!;
      if (this.fits(instance)) {
        this.goesAsAccepted(request, instance);
      } else {
        queue.splice(queue.indexOf(request), 1);
        this.record({
          id: instance.id,
          error: `the peer accepted no presentation context for ${instance.sopClassUid} in ${instance.transferSyntaxUid}`,
        });
      }
    }
  }

  /** A C-STORE-RSP to a request in flight, taken here; false for anything else (the library's). */
  private takeResponse(pdu: Buffer): boolean {
    const response = readCStoreResponsePdu(pdu);
    const request = response && this.inFlight.get(response.messageIdBeingRespondedTo);
    if (!response || !request) {
      return false;
    }
    const instance = this.byRequest.get(request)!;
    this.inFlight.delete(response.messageIdBeingRespondedTo);
    this.record({
      id: instance.id,
      status: response.status,
      ...(isStoredStatus(response.status) ? {} : { error: describeStatus(response.status, response.errorComment) }),
    });
    this.network?.forget(request);
    request.raiseDoneEvent();
    return true;
  }

  private prepare(request: object): Promise<PreparedDataset> {
    let promise = this.prepared.get(request);
    if (!promise) {
      promise = prepareDataset(this.byRequest.get(request)!, this.options.transform);
      // Awaited when the request goes out; a failure is reported then, against its instance.
      promise.catch(() => undefined);
      this.prepared.set(request, promise);
    }
    return promise;
  }

  private async sendRequest(
    network: ScuNetwork,
    request: OutgoingRequest,
    presentationContextId: number,
    maxPduLength: number,
  ): Promise<void> {
    const instance = this.byRequest.get(request)!;
    const upcoming = network.nextQueued();
    let dataset: PreparedDataset;
    try {
      dataset = await this.prepare(request);
      const sentAs = this.acceptedSyntax.get(presentationContextId);
      if (sentAs === TransferSyntax.ImplicitVrLittleEndian && instance.transferSyntaxUid !== sentAs) {
        dataset = await asImplicitVr(dataset);
        this.converted.add(instance.id);
      }
    } catch (error) {
      // Nothing of it has gone out: only this instance fails, and the association goes on.
      this.record({ id: instance.id, error: `cannot read the stored instance: ${(error as Error).message}` });
      network.forget(request);
      request.raiseDoneEvent();
      return;
    } finally {
      this.prepared.delete(request);
      if (upcoming && this.byRequest.has(upcoming)) {
        void this.prepare(upcoming);
      }
    }
    const socket = network.socket;
    this.inFlight.set(request.getMessageId(), request);
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
        network.touch();
        const block = await next;
        position += block.length;
        next = position < end ? readNext() : undefined;
        writer.write(block);
      }
      await drained(socket);
    } finally {
      dataset.file.close().catch(() => undefined);
    }
  }

  /**
   * Keeps the association open while the feed has more: the library releases once its request queue is
   * empty ("done"), so that moment asks the feed first, and only an empty answer (or the end of what fits)
   * lets the release go ahead.
   */
  private keepOpenWhileFed(network: ScuNetwork, more: InstanceFeed): void {
    let fed = true;
    network.holdDone((passOn) => {
      if (!fed) {
        return false;
      }
      void more().then(
        (batch) => {
          if (network.socket.destroyed) {
            return;
          }
          const { requests: next, last } = this.take(batch);
          fed = !last && batch.length > 0;
          if (next.length > 0) {
            network.touch();
            network.sendRequests(next);
          } else {
            passOn();
          }
        },
        () => {
          fed = false;
          passOn();
        },
      );
      return true;
    });
  }

  /** What the feed gave, as requests: up to the first instance the negotiated contexts do not fit. */
  private take(batch: StoredInstance[]): { requests: OutgoingRequest[]; last: boolean } {
    this.given.push(...batch);
    // Negotiated for the first instances only: one that needs another context waits for the next association.
    const cut = batch.findIndex((instance) => !this.fits(instance));
    const sendable = cut < 0 ? batch : batch.slice(0, cut);
    const next = sendable.map((instance) => {
      const request = this.toRequest(instance);
      this.goesAsAccepted(request, instance);
      return request;
    });
    return { requests: next, last: cut >= 0 };
  }
}
