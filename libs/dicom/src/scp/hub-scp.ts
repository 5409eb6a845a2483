import { Logger } from '@nestjs/common';
import {
  Association,
  BridgedScp,
  CEchoRequest,
  CFindRequest,
  CMoveRequest,
  CStoreRequest,
  Dataset,
  constants,
  responses,
} from '../transport/dcmjs-bridge';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { normalizeAeTitle } from '../codec/ae-title';
import { uidForLog } from '../codec/uid';
import { AssociationRejectReason, DimseStatus } from '../codec/dimse-status';
import { CStoreRequestCommand, encodeCStoreResponsePdu } from '../codec/dimse-encoding';
import { PDataRouter } from '../transport/pdata-router';
import { PduFramer } from '../transport/pdu-framer';
import { ReceivedDataset, SpillFile, StoreSink } from './store-sink';
import { datasetEncoding } from '../codec/transfer-syntax';
import { AssociateRqProblem, checkAssociateRq, encodeAbort, encodeAssociateRj } from '../transport/associate-rq';
import { AssociationLimits } from './association-limits';
import { chooseTransferSyntax, isStorageSopClass, VERIFICATION_SOP_CLASS } from './transfer-syntax-choice';
import { encodeIdentifier, readIdentifierText } from '../codec/character-set-identifier';
import {
  QueryRetrieveSession,
  SubOperationCounts,
  chooseQueryTransferSyntax,
  isQueryRetrieveSopClass,
  queryModelOf,
  toQueryIdentifier,
} from './query-retrieve';

export interface AssociationRequest {
  callingAeTitle: string;
  calledAeTitle: string;
  peerAddress: string;
  /** Over DICOM TLS: the subject of the certificate the peer presented (the CA signed it), e.g. {CN: 'RVJ_PACS'}. */
  tlsSubject?: Record<string, string>;
}

export interface StoreRequest {
  presentationContextId: number;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
}

export interface StoreOutcome {
  status: DimseStatus;
  comment?: string;
}

/** One accepted association, as the application sees it. */
export interface ScpSession {
  /** Opens the temp file of a data set too large for memory; throws when it cannot. */
  openSpill(request: StoreRequest): SpillFile;
  store(request: StoreRequest, data: ReceivedDataset): Promise<StoreOutcome>;
  /** C-FIND/C-MOVE for this caller; without it the query/retrieve contexts are not accepted. */
  queryRetrieve?: QueryRetrieveSession;
  /** The peer asked to release: let go of what the association holds before the release is confirmed. */
  releasing(): Promise<void>;
  /** The association ended: released, aborted by either side, or the connection dropped. */
  end(how: 'released' | 'aborted' | 'closed'): Promise<void>;
}

export type AssociationDecision =
  { accept: true; session: ScpSession } | { accept: false; reason: AssociationRejectReason };

export interface ScpHandler {
  requestAssociation(request: AssociationRequest): Promise<AssociationDecision>;
  /** An association refused because too many are open (in total, or from this calling AE). */
  overLimit(request: AssociationRequest, problem: string): Promise<void>;
  /** A TLS connection failed (no certificate, one the CA did not sign, no common protocol): a Security Alert. */
  tlsFailure(peerAddress: string, problem: string): Promise<void>;
  /** A connection was cut for breaking the protocol (e.g. an oversize PDU). */
  protocolViolation(request: Partial<AssociationRequest> & { peerAddress: string }, problem: string): Promise<void>;
}

export interface HubScpOptions {
  handler: ScpHandler;
  maxPduLength: number;
  memoryLimit: number;
  /** requestMs: ARTIM, connection to A-ASSOCIATE-RQ; idleMs: longest time without a PDU once associated. */
  timeouts: { requestMs: number; idleMs: number };
  limits: AssociationLimits;
}

const { PresentationContextResult, RejectResult, RejectSource } = constants;
const A_ASSOCIATE_RQ = 0x01;
const P_DATA_TF = 0x04;
const A_RELEASE_RQ = 0x05;
const A_ABORT = 0x07;
/** A-ABORT from the service provider (PS3.8 9.3.8): reason 2 unexpected PDU, 6 invalid PDU parameter value. */
const ABORT_SOURCE_PROVIDER = 2;
const ABORT_UNEXPECTED_PDU = 2;
const ABORT_INVALID_PARAMETER = 6;
/** A-ASSOCIATE-RJ source "service-provider (ACSE)". */
const REJECT_SOURCE_ACSE = 2;
/** A-ASSOCIATE-RJ source "service-provider (presentation)", reason 2 "local-limit-exceeded". */
const REJECT_SOURCE_PRESENTATION = 3;
const REJECT_LOCAL_LIMIT_EXCEEDED = 2;

/**
 * Where the association is, for which PDUs the peer may send (PS3.8 9.2, acceptor side): anything else
 * aborts it before dcmjs-dimse, which trusts the order, sees the PDU.
 */
type Phase = 'awaiting-request' | 'negotiating' | 'accepted' | 'releasing' | 'closing';

/** The C-STORE whose data set is arriving. */
interface StoreReception {
  request: StoreRequest;
  messageId: number;
  sink: StoreSink;
}

/**
 * The hub's DICOM upper layer on one connection. The hub reads the PDUs itself and handles C-STORE
 * end to end (command, data set streamed out of memory as it arrives, response); dcmjs-dimse does
 * association negotiation and every other DIMSE service from the PDUs it is handed. This class
 * decides associations and turns every outcome into a DIMSE status. Nothing here throws into the library.
 */
export class HubScp extends BridgedScp {
  private readonly logger = new Logger(HubScp.name);
  private readonly hub: HubScpOptions;
  private readonly peerAddress: string;
  private readonly connection: Socket;
  private session?: ScpSession;
  private reception?: StoreReception;
  /** Accepted presentation contexts: id → the transfer syntax agreed. */
  private readonly acceptedContexts = new Map<number, string>();
  private readonly pData: PDataRouter;
  private ended = false;
  /** The running C-FIND/C-MOVE was cancelled (C-CANCEL-RQ); one operation at a time (no async ops). */
  private cancelRequested = false;
  private callingAeTitle?: string;
  private calledAeTitle?: string;
  private readonly tlsSubject?: Record<string, string>;
  private phase: Phase = 'awaiting-request';
  /** Gives back this association's place under the limits. */
  private releaseSlot?: () => void;
  /** The raw identifier of the C-FIND/C-MOVE being received, and of the last one received. */
  private identifierParts: Buffer[] = [];
  private identifier?: Buffer;

  constructor(socket: Socket, options: HubScpOptions) {
    // The library closes a connection that sends no PDU within associationTimeout (ARTIM) and one idle for
    // pduTimeout, checking once a second, and one whose socket is silent both ways for connectTimeout (it
    // sets that as the socket's timeout, so it must not be shorter than the idle time); each is reported
    // as a networkError "Connection timeout".
    super(socket, {
      associationTimeout: options.timeouts.requestMs,
      pduTimeout: options.timeouts.idleMs,
      connectTimeout: options.timeouts.idleMs,
    });
    this.hub = options;
    this.connection = socket;
    this.peerAddress = normalizeAddress(socket.remoteAddress);
    if (socket instanceof TLSSocket) {
      // The server asked for a certificate and refused any the CA did not sign: this one is verified.
      const subject = socket.getPeerCertificate().subject as unknown as Record<string, string | string[]> | undefined;
      this.tlsSubject = Object.fromEntries(
        Object.entries(subject ?? {}).map(([key, value]) => [key, Array.isArray(value) ? value.join('+') : value]),
      );
    }
    this.markConnected();
    this.pData = new PDataRouter({
      storeCommand: (presentationContextId, command) => this.storeCommand(presentationContextId, command),
      storeData: (value, last) => this.storeData(value, last),
      library: (pdu) => this.toLibrary(pdu),
      libraryData: (value, last) => this.identifierData(value, last),
      violation: (problem) => this.protocolViolation(problem),
    });
    this.readPdus(socket);
    this.on('close', () => void this.finish('closed'));
    this.on('networkError', (error: Error) => {
      this.logger.warn(`${this.callingAeTitle ?? this.peerAddress}: ${error.message}`);
      // Its once-a-second check says "Connection timeout: …"; the socket's own timeout "<AE> -> Connection timeout".
      if (error.message.includes('Connection timeout') && this.phase !== 'closing') {
        const awaitingRequest = this.phase === 'awaiting-request';
        this.auditViolation(
          awaitingRequest
            ? `no A-ASSOCIATE-RQ within ${options.timeouts.requestMs / 1000} s`
            : `no PDU for ${options.timeouts.idleMs / 1000} s`,
        );
        this.phase = 'closing';
        // ARTIM expiry closes the transport; an idle association is aborted (provider, reason not specified).
        this.closeWith(awaitingRequest ? undefined : encodeAbort(ABORT_SOURCE_PROVIDER, 0));
        return;
      }
      this.phase = 'closing';
      socket.destroy();
    });
  }

  override associationRequested(association: Association): void {
    this.callingAeTitle = normalizeAeTitle(association.getCallingAeTitle());
    this.calledAeTitle = normalizeAeTitle(association.getCalledAeTitle());
    const request: AssociationRequest = {
      callingAeTitle: this.callingAeTitle,
      calledAeTitle: this.calledAeTitle,
      peerAddress: this.peerAddress,
      ...(this.tlsSubject ? { tlsSubject: this.tlsSubject } : {}),
    };
    const slot = this.hub.limits.acquire(request.callingAeTitle);
    if (!slot.ok) {
      this.phase = 'closing';
      this.sendAssociationReject(RejectResult.Transient, REJECT_SOURCE_PRESENTATION, REJECT_LOCAL_LIMIT_EXCEEDED);
      this.connection.end();
      void this.hub.handler
        .overLimit(request, slot.problem)
        .catch((error: Error) => this.logger.error(`auditing a refused association failed: ${error.message}`));
      return;
    }
    this.releaseSlot = slot.release;
    this.hub.handler
      .requestAssociation(request)
      .then(
        (decision) => this.answerAssociation(association, decision),
        (error: Error) => {
          this.logger.error(`association from ${request.callingAeTitle}: ${error.message}`);
          this.reject(AssociationRejectReason.NoReasonGiven, RejectResult.Transient);
        },
      )
      .catch((error: Error) => this.internalError(error));
  }

  override associationReleaseRequested(): void {
    this.phase = 'releasing';
    // Spare temp files go first, so that a peer told the association is released finds nothing left of it.
    const releasing = this.session?.releasing() ?? Promise.resolve();
    void releasing
      .catch((error: Error) => this.logger.error(`releasing association of ${this.callingAeTitle}: ${error.message}`))
      .finally(() => {
        this.sendAssociationReleaseResponse();
        void this.finish('released');
      })
      .catch((error: Error) => this.internalError(error));
  }

  override abort(): void {
    // A peer that aborts may wait for the acceptor to close the transport (PS3.8 9.2.3, AA-3): left open,
    // the library's idle check fired idleMs later and logged a "Connection timeout" for an association
    // already audited as aborted. It closes now, which also stops the library's timers.
    this.phase = 'closing';
    void this.finish('aborted');
    this.connection.destroy();
  }

  override cEchoRequest(request: CEchoRequest, callback: (response: responses.CEchoResponse) => void): void {
    const response = responses.CEchoResponse.fromRequest(request);
    response.setStatus(DimseStatus.Success);
    callback(response);
  }

  override cFindRequest(request: CFindRequest): void {
    // The library's callback may be called once; pending responses go out one by one as they are found.
    const callback = (list: responses.CFindResponse[]) =>
      list.forEach((response) => this.sendResponse(request, response));
    const final = (status: number, comment?: string) => {
      const response = responses.CFindResponse.fromRequest(request);
      response.setStatus(status);
      if (comment) {
        response.setErrorComment(comment.slice(0, 64));
      }
      callback([response]);
    };
    const queryRetrieve = this.session?.queryRetrieve;
    const { elements, specificCharacterSet, transferSyntaxUid } = this.identifierOf(request);
    const query = toQueryIdentifier(queryModelOf(request.getAffectedSopClassUid()), elements);
    if (!queryRetrieve) {
      final(DimseStatus.UnableToProcess, 'query not available on this association');
      return;
    }
    if ('error' in query) {
      final(DimseStatus.IdentifierDoesNotMatch, query.error);
      return;
    }
    this.cancelRequested = false;
    queryRetrieve
      .find(
        query,
        (identifier) => {
          const response = responses.CFindResponse.fromRequest(request);
          // Written by the hub, not dcmjs: in the caller's character set when every value fits it, else UTF-8.
          const encoded = encodeIdentifier(
            { ...identifier, QueryRetrieveLevel: query.level },
            specificCharacterSet,
            transferSyntaxUid,
          );
          response.setDataset(new EncodedDataset(encoded.dataset, transferSyntaxUid));
          response.setStatus(DimseStatus.Pending);
          callback([response]);
        },
        () => this.cancelRequested || this.ended,
      )
      .then(
        (outcome) => final(this.cancelRequested ? DimseStatus.Cancel : outcome.status, outcome.comment),
        (error: Error) => {
          this.logger.error(`C-FIND from ${this.callingAeTitle}: ${error.message}`);
          final(DimseStatus.UnableToProcess, 'unable to process');
        },
      )
      .catch((error: Error) => this.internalError(error));
  }

  override cMoveRequest(request: CMoveRequest): void {
    const callback = (list: responses.CMoveResponse[]) =>
      list.forEach((response) => this.sendResponse(request, response));
    const respond = (status: number, counts: SubOperationCounts, comment?: string) => {
      const response = responses.CMoveResponse.fromRequest(request);
      response.setStatus(status);
      // Pending responses carry all four counts; the final one the completed, failed and warning counts.
      if (status === DimseStatus.Pending) {
        response.setRemaining(counts.remaining);
      }
      response.setCompleted(counts.completed);
      response.setFailures(counts.failed);
      response.setWarnings(counts.warning);
      if (comment && status !== DimseStatus.Pending) {
        response.setErrorComment(comment.slice(0, 64));
      }
      callback([response]);
    };
    const none = { remaining: 0, completed: 0, failed: 0, warning: 0 };
    const queryRetrieve = this.session?.queryRetrieve;
    const destination = String(
      (request.getCommandDataset() as unknown as { getElement(name: string): unknown }).getElement('MoveDestination') ??
        '',
    ).trim();
    const query = toQueryIdentifier(
      queryModelOf(request.getAffectedSopClassUid()),
      this.identifierOf(request).elements,
    );
    if (!queryRetrieve) {
      respond(DimseStatus.UnableToProcess, none, 'retrieve not available on this association');
      return;
    }
    if ('error' in query) {
      respond(DimseStatus.IdentifierDoesNotMatch, none, query.error);
      return;
    }
    this.cancelRequested = false;
    queryRetrieve
      .move(
        query,
        destination,
        (counts) => respond(DimseStatus.Pending, counts),
        () => this.cancelRequested || this.ended,
      )
      .then(
        (outcome) => respond(outcome.status, outcome.counts, outcome.comment),
        (error: Error) => {
          this.logger.error(`C-MOVE from ${this.callingAeTitle}: ${error.message}`);
          respond(DimseStatus.UnableToProcess, none, 'unable to process');
        },
      )
      .catch((error: Error) => this.internalError(error));
  }

  /** A fragment of a C-FIND/C-MOVE identifier, before the library reads it. */
  private identifierData(value: Buffer, last: boolean): void {
    this.identifierParts.push(Buffer.from(value));
    if (last) {
      this.identifier = Buffer.concat(this.identifierParts);
      this.identifierParts = [];
    }
  }

  /**
   * The request's keys: the library's, with the text keys decoded again from the raw identifier per
   * its Specific Character Set (the library reads one set only, and reports every set as ISO_IR 192).
   */
  private identifierOf(request: CFindRequest | CMoveRequest): {
    elements: Record<string, unknown>;
    specificCharacterSet?: string;
    transferSyntaxUid: string;
  } {
    const dataset = request.getDataset();
    const transferSyntaxUid = dataset?.getTransferSyntaxUid() ?? constants.TransferSyntax.ImplicitVRLittleEndian;
    const elements = (dataset?.getElements() ?? {}) as Record<string, unknown>;
    const raw = this.identifier;
    this.identifier = undefined;
    if (!raw) {
      return { elements, transferSyntaxUid };
    }
    try {
      const { specificCharacterSet, text } = readIdentifierText(raw, transferSyntaxUid);
      return { elements: { ...elements, ...text }, specificCharacterSet, transferSyntaxUid };
    } catch (error) {
      this.logger.warn(`identifier from ${this.callingAeTitle}: ${(error as Error).message}`);
      return { elements, transferSyntaxUid };
    }
  }

  override cCancelRequest(): void {
    this.cancelRequested = true;
  }

  /** A C-STORE without a data set, the only kind the library still sees: nothing to store. */
  override cStoreRequest(request: CStoreRequest, callback: (response: responses.CStoreResponse) => void): void {
    const response = responses.CStoreResponse.fromRequest(request);
    response.setStatus(DimseStatus.ProcessingFailure);
    callback(response);
  }

  /** A C-STORE-RQ with a data set (the router passes them on only once the association is accepted). */
  private storeCommand(presentationContextId: number, command: CStoreRequestCommand): void {
    const session = this.session!;
    const transferSyntaxUid = this.acceptedContexts.get(presentationContextId);
    if (transferSyntaxUid === undefined) {
      this.protocolViolation(`C-STORE on presentation context ${presentationContextId}, which was not accepted`);
      return;
    }
    const request: StoreRequest = {
      presentationContextId,
      sopClassUid: command.sopClassUid,
      sopInstanceUid: command.sopInstanceUid,
      transferSyntaxUid,
    };
    this.reception = {
      request,
      messageId: command.messageId,
      sink: new StoreSink({
        memoryLimit: this.hub.memoryLimit,
        openSpill: () => session.openSpill(request),
        encoding: datasetEncoding(request.transferSyntaxUid),
      }),
    };
  }

  private storeData(value: Buffer, last: boolean): void {
    const reception = this.reception;
    if (!reception) {
      return; // the association is being aborted (the C-STORE's context was not accepted)
    }
    reception.sink.write(value);
    if (!last) {
      return;
    }
    this.reception = undefined;
    const { request, messageId } = reception;
    const respond = (outcome: StoreOutcome) => {
      const pdu = encodeCStoreResponsePdu({
        presentationContextId: request.presentationContextId,
        messageIdBeingRespondedTo: messageId,
        sopClassUid: request.sopClassUid,
        sopInstanceUid: request.sopInstanceUid,
        status: outcome.status,
        errorComment: outcome.comment,
      });
      if (!this.connection.destroyed) {
        this.connection.write(pdu);
      }
    };
    this.session!.store(request, reception.sink.result())
      .then(respond, (error: Error) => {
        this.logger.error(`C-STORE ${uidForLog(request.sopInstanceUid)} from ${this.callingAeTitle}: ${error.message}`);
        respond({ status: DimseStatus.ProcessingFailure, comment: 'processing failure' });
      })
      .catch((error: Error) => this.internalError(error));
  }

  private answerAssociation(association: Association, decision: AssociationDecision): void {
    if (!decision.accept) {
      this.reject(decision.reason, RejectResult.Permanent);
      return;
    }
    if (this.ended) {
      // The peer went while the decision was being made: the session it made ends here, holding nothing.
      decision.session
        .end('closed')
        .catch((error: Error) => this.logger.error(`ending association of ${this.callingAeTitle}: ${error.message}`));
      return;
    }
    this.session = decision.session;
    association.setNegotiateAsyncOps(false);
    for (const proposed of association.getPresentationContexts()) {
      const context = association.getPresentationContext(proposed.id);
      const abstractSyntax = context.getAbstractSyntaxUid().replace(/\0+$/, '');
      if (isQueryRetrieveSopClass(abstractSyntax)) {
        const transferSyntax = decision.session.queryRetrieve
          ? chooseQueryTransferSyntax(context.getTransferSyntaxUids())
          : undefined;
        context.setResult(
          !decision.session.queryRetrieve
            ? PresentationContextResult.RejectAbstractSyntaxNotSupported
            : transferSyntax
              ? PresentationContextResult.Accept
              : PresentationContextResult.RejectTransferSyntaxesNotSupported,
          transferSyntax,
        );
        continue;
      }
      if (abstractSyntax !== VERIFICATION_SOP_CLASS && !isStorageSopClass(abstractSyntax)) {
        context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
        continue;
      }
      const transferSyntax = chooseTransferSyntax(context.getTransferSyntaxUids());
      if (transferSyntax) {
        context.setResult(PresentationContextResult.Accept, transferSyntax);
      } else {
        context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
      }
    }
    for (const proposed of association.getPresentationContexts()) {
      const context = association.getPresentationContext(proposed.id);
      if (context.getResult() === PresentationContextResult.Accept) {
        this.acceptedContexts.set(proposed.id, context.getAcceptedTransferSyntaxUid() ?? '');
      }
    }
    // The AC's max PDU length is what the hub can receive; dcmjs-dimse would echo the requestor's own
    // (often 16 KiB), which makes a sender cut every data set into many small PDUs.
    association.setMaxPduLength(this.hub.maxPduLength);
    this.phase = 'accepted';
    this.sendAssociationAccept();
  }

  private reject(reason: AssociationRejectReason, result: number): void {
    this.phase = 'closing';
    this.sendAssociationReject(result, RejectSource.ServiceUser, reason);
    this.connection.end();
  }

  /**
   * Takes the socket's data from the library's reader: PDUs are framed here (bounded in size) and checked
   * against the association's phase; P-DATA-TF of an accepted association goes through the router (C-STORE
   * to the hub), the rest to the library. Whatever goes wrong on this connection ends it alone.
   */
  private readPdus(socket: Socket): void {
    // Allow the PDV item header and a little slack over the advertised maximum.
    const framer = new PduFramer(this.hub.maxPduLength + 64, undefined, { piecesForPData: true });
    socket.removeAllListeners('data');
    socket.on('data', (chunk: Buffer) => {
      try {
        const framed = framer.push(chunk);
        if ('problem' in framed) {
          this.protocolViolation(framed.problem);
          return;
        }
        for (const framedPdu of framed.pdus) {
          if (this.phase === 'closing') {
            return;
          }
          this.touchPduTime();
          if (!this.takePdu(framedPdu)) {
            return;
          }
        }
      } catch (error) {
        this.internalError(error as Error);
      }
    });
  }

  /** One framed PDU, where the phase allows it; false once the connection is being closed. */
  private takePdu(framedPdu: Buffer | Buffer[]): boolean {
    const type = Array.isArray(framedPdu) ? framedPdu[0][0] : framedPdu[0];
    const unexpected = this.unexpectedPdu(type, Array.isArray(framedPdu) ? undefined : framedPdu);
    if (unexpected) {
      this.protocolViolation(unexpected, ABORT_UNEXPECTED_PDU);
      return false;
    }
    if (type === P_DATA_TF) {
      return this.pData.push(framedPdu);
    }
    const pdu = framedPdu as Buffer;
    if (type === A_ASSOCIATE_RQ) {
      const check = checkAssociateRq(pdu);
      if (!check.ok) {
        this.rejectMalformedRequest(check.reason, check.problem);
        return false;
      }
      this.phase = 'negotiating';
    } else if (type === A_ABORT) {
      this.phase = 'closing';
    }
    this.toLibrary(pdu);
    return true;
  }

  /** Why a PDU of this type cannot come now (PS3.8 9.2 state table, acceptor side); undefined if it can. */
  private unexpectedPdu(type: number, pdu: Buffer | undefined): string | undefined {
    if (type === A_ABORT) {
      return undefined;
    }
    if (type === A_RELEASE_RQ && pdu && pdu.length !== 10) {
      return `PDU type 0x0${type} of ${pdu.length - 6} bytes (4 expected)`;
    }
    const allowed: Record<Phase, number[]> = {
      'awaiting-request': [A_ASSOCIATE_RQ],
      negotiating: [],
      accepted: [P_DATA_TF, A_RELEASE_RQ],
      releasing: [],
      closing: [],
    };
    return allowed[this.phase].includes(type) ? undefined : `PDU type 0x0${type} unexpected while ${this.phase}`;
  }

  private toLibrary(pdu: Buffer): void {
    try {
      this.processPdu(pdu).catch((error: Error) => this.internalError(error));
    } catch (error) {
      this.internalError(error as Error);
    }
  }

  /** A-ASSOCIATE-RJ, permanent, from the service provider (ACSE), for a request that is not well formed. */
  private rejectMalformedRequest(reason: AssociateRqProblem, problem: string): void {
    this.phase = 'closing';
    this.connection.removeAllListeners('data');
    this.closeWith(encodeAssociateRj(RejectResult.Permanent, REJECT_SOURCE_ACSE, reason));
    this.auditViolation(`malformed A-ASSOCIATE-RQ: ${problem}`);
  }

  /**
   * Sends a last PDU (if any) and closes: the PDU goes out before the FIN, and the connection is destroyed
   * shortly after in case the peer never closes its side. (A destroy right after a write can drop the
   * write on a busy machine, and the peer then sees a close with no reason.)
   */
  private closeWith(pdu: Buffer | undefined): void {
    const socket = this.connection;
    if (socket.destroyed) {
      return;
    }
    if (pdu) {
      socket.end(pdu);
    } else {
      socket.end();
    }
    setTimeout(() => socket.destroy(), 2000).unref();
  }

  /** The peer broke the protocol: A-ABORT (service provider) and close, audited. */
  private protocolViolation(problem: string, reason = ABORT_INVALID_PARAMETER): void {
    this.phase = 'closing';
    const socket = this.connection;
    socket.removeAllListeners('data');
    socket.pause();
    this.closeWith(encodeAbort(ABORT_SOURCE_PROVIDER, reason));
    this.auditViolation(problem);
  }

  /**
   * A fault in the hub's own handling of this association (a bug, or a library throwing on input it
   * accepted): the association is aborted and logged, and the process goes on serving every other one.
   */
  private internalError(error: Error): void {
    this.logger.error(
      `association of ${this.callingAeTitle ?? this.peerAddress} aborted on an internal error: ${error.stack ?? error.message}`,
    );
    if (this.phase === 'closing') {
      return; // already being closed: the first reason stands
    }
    this.protocolViolation(`internal error: ${error.message}`, ABORT_UNEXPECTED_PDU);
  }

  private auditViolation(problem: string): void {
    void this.hub.handler
      .protocolViolation(
        { peerAddress: this.peerAddress, callingAeTitle: this.callingAeTitle, calledAeTitle: this.calledAeTitle },
        problem,
      )
      .catch((error: Error) => this.logger.error(`auditing a protocol violation failed: ${error.message}`));
  }

  private async finish(how: 'released' | 'aborted' | 'closed'): Promise<void> {
    if (this.ended) {
      return;
    }
    this.ended = true;
    this.releaseSlot?.();
    const reception = this.reception;
    this.reception = undefined;
    try {
      await reception?.sink.abandon();
      await this.session?.end(how);
    } catch (error) {
      this.logger.error(`ending association of ${this.callingAeTitle}: ${(error as Error).message}`);
    }
  }
}

function normalizeAddress(address: string | undefined): string {
  if (!address) {
    return 'unknown';
  }
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** A data set the hub has already encoded: the library sends its bytes as they are. */
class EncodedDataset extends Dataset {
  constructor(
    private readonly encoded: Buffer,
    transferSyntaxUid: string,
  ) {
    super({}, transferSyntaxUid);
  }

  override getDenaturalizedDataset(): Buffer {
    return this.encoded;
  }
}
