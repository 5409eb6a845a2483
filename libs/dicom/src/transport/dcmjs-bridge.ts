/**
 * The one seam to dcmjs-dimse. Every other file reaches the library through here: its public classes
 * are re-exported as they are, and the private members the hub relies on (`_processPdu`,
 * `_sendPDataTF`, `emit`, `requests`, `pending`, `connected`, `connectedTime`, `lastPduTime`,
 * `dimseStream`, `network`, `sendAssociationRequest`) sit behind the typed functions and classes
 * below. dcmjs-dimse-bridge.spec.ts pins the version this was written against and checks that each of
 * those members still exists; an upgrade that breaks one fails there, not on a live association.
 * ESLint (no-restricted-imports) keeps `import … from 'dcmjs-dimse'` in this file.
 */
import { Client, Dataset, Implementation, Scp, association, constants, log, requests, responses } from 'dcmjs-dimse';
import type { Socket } from 'node:net';

export { Client, Dataset, Implementation, Scp, constants, requests, responses };
/** dcmjs-dimse's logger (loglevel): its level, and where its lines go. */
export const dimseLog = log;

export type Association = association.Association;
export type CStoreRequest = requests.CStoreRequest;
export type CEchoRequest = requests.CEchoRequest;
export type CFindRequest = requests.CFindRequest;
export type CMoveRequest = requests.CMoveRequest;
export type CEchoResponse = responses.CEchoResponse;
export type CFindResponse = responses.CFindResponse;
export type CMoveResponse = responses.CMoveResponse;
export type CStoreResponse = responses.CStoreResponse;

/** The dcmjs-dimse version this bridge was written against (checked by dcmjs-bridge.spec.ts). */
export const DCMJS_DIMSE_VERSION = '0.3.3';

/** Private members of the library's Network (the base of Scp, and what a Client opens). */
interface NetworkInternals {
  socket: Socket;
  /** The name the library puts at the start of its log lines. */
  logId: string;
  connected: boolean;
  connectedTime: number;
  lastPduTime?: number;
  /** Requests queued to go out, in order. */
  requests: object[];
  /** Requests sent and not yet answered. */
  pending: object[];
  /** The DIMSE message being received. */
  dimseStream?: unknown;
  _processPdu(pdu: Buffer): Promise<void> | undefined;
  _sendPDataTF(request: object, presentationContextId: number, maxPduLength: number): void;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  sendRequests(requests: object[]): void;
  sendAssociationRequest(association: AssociationInternals): void;
  on(event: string, listener: (...args: never[]) => void): void;
}

interface AssociationInternals {
  clearPresentationContexts(): void;
  addPresentationContext(abstractSyntaxUid: string): number;
  addTransferSyntaxToPresentationContext(id: number, transferSyntaxUid: string): void;
}

/**
 * The library's SCP with the hub reading the socket itself: the hub frames PDUs and hands the library
 * the ones it should see, marks the connection open (the library's Server would) and keeps the idle
 * timer going.
 */
export abstract class BridgedScp extends Scp {
  private get internals(): NetworkInternals {
    return this as unknown as NetworkInternals;
  }

  /** What dcmjs-dimse's Server sets for a socket it accepts: the hub accepts its own. */
  protected markConnected(): void {
    this.internals.connected = true;
    this.internals.connectedTime = Date.now();
  }

  /** A PDU arrived: the library aborts an association that has received none for pduTimeout. */
  protected touchPduTime(): void {
    this.internals.lastPduTime = Date.now();
  }

  /** Hands one whole PDU to the library's PDU handling (association, DIMSE other than C-STORE). */
  protected processPdu(pdu: Buffer): Promise<void> {
    return this.internals._processPdu(pdu) ?? Promise.resolve();
  }
}

/** One presentation context to propose: an abstract syntax with a single transfer syntax. */
export interface ProposedContext {
  abstractSyntaxUid: string;
  transferSyntaxUid: string;
}

/** The network object of an association a Client opened, with the hooks the hub's SCUs use. */
export class ScuNetwork {
  private constructor(private readonly network: NetworkInternals) {}

  /** The network the client opened in `send` (present from the moment `send` returns). */
  static of(client: Client): ScuNetwork | undefined {
    const network = (client as unknown as { network?: NetworkInternals }).network;
    return network ? new ScuNetwork(network) : undefined;
  }

  get socket(): Socket {
    return this.network.socket;
  }

  /** What the library's log lines name this association by (it sets the called AE only once it asks). */
  label(text: string): void {
    this.network.logId = text;
  }

  /** Something went out or came in: keeps the library's PDU timeout from firing. */
  touch(): void {
    this.network.lastPduTime = Date.now();
  }

  /** The next request the library will send, if any. */
  nextQueued(): object | undefined {
    return this.network.requests[0];
  }

  /** An answered request leaves the library's pending list (which it would otherwise keep). */
  forget(request: object): void {
    const index = this.network.pending.indexOf(request);
    if (index >= 0) {
      this.network.pending.splice(index, 1);
    }
  }

  /** Drops the DIMSE message being received (the library keeps appending to it across responses). */
  clearDimseStream(): void {
    this.network.dimseStream = undefined;
  }

  /** More requests on the open association. */
  sendRequests(requests: object[]): void {
    this.network.sendRequests(requests);
  }

  /** Replaces the proposal the library would make with these contexts, each with one transfer syntax. */
  propose(proposal: ProposedContext[], max: number): void {
    const network = this.network;
    const send = network.sendAssociationRequest.bind(network);
    network.sendAssociationRequest = (association) => {
      association.clearPresentationContexts();
      for (const context of proposal.slice(0, max)) {
        const id = association.addPresentationContext(context.abstractSyntaxUid);
        association.addTransferSyntaxToPresentationContext(id, context.transferSyntaxUid);
      }
      send(association);
    };
  }

  /** An A-ABORT from the peer (the library reads it and does nothing more). */
  onAbort(listener: (abort: { source: number; reason: number }) => void): void {
    this.network.on('abort', listener);
  }

  /** Each received PDU goes to `take` first; one it does not take (returns false) goes to the library. */
  interceptPdus(take: (pdu: Buffer) => boolean): void {
    const network = this.network;
    const processPdu = network._processPdu.bind(network);
    network._processPdu = (pdu: Buffer) => (take(pdu) ? undefined : processPdu(pdu));
  }

  /** The hub writes each request's P-DATA-TF itself, in place of the library's encoding. */
  sendDataWith(send: (request: object, presentationContextId: number, maxPduLength: number) => void): void {
    this.network._sendPDataTF = send;
  }

  /**
   * The library releases the association once its queue is empty ("done"). `hold` is asked first: when
   * it returns true it has taken the event, and calls `passOn` later to let the release go ahead.
   */
  holdDone(hold: (passOn: () => void) => boolean): void {
    const network = this.network;
    const emit = network.emit.bind(network);
    network.emit = (event: string | symbol, ...args: unknown[]): boolean => {
      if (event === 'done' && hold(() => emit('done'))) {
        return true;
      }
      return emit(event, ...args);
    };
  }
}

/** The requests a Client will send once associated (its queue, before the library hands it on). */
export function queuedRequests(client: Client): object[] {
  return (client as unknown as { requests: object[] }).requests;
}
