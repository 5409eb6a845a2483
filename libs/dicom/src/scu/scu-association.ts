import { Client, ProposedContext, ScuNetwork } from '../transport/dcmjs-bridge';
import { describeAbort, describeRejection } from '../codec/dimse-status';

export interface ScuTarget {
  host: string;
  port: number;
  callingAeTitle: string;
  calledAeTitle: string;
  /** DICOM TLS: the hub's certificate and key, and the CA the peer's certificate must be signed by. */
  tls?: { key: Buffer; cert: Buffer; ca: Buffer };
}

/**
 * How an association failed, each named as what it is; `message` names the peer and says it in words, for
 * the transfer's last error and the audit trail.
 */
export type AssociationFailure = { message: string } & (
  | { kind: 'rejected'; permanent: boolean; reason: number; source: number }
  | { kind: 'aborted'; source: number; reason: number }
  /** No connection: nothing listens, or the address is unreachable. */
  | { kind: 'refused' }
  /** No answer in time (connection, association or a PDU). */
  | { kind: 'timeout' }
  | { kind: 'network' }
);

export interface ScuTimeouts {
  connectMs: number;
  associationMs: number;
  pduMs: number;
}

export const DEFAULT_SCU_TIMEOUTS: ScuTimeouts = { connectMs: 10000, associationMs: 30000, pduMs: 60000 };

/**
 * Opens the association for the requests queued on `client`, with Nagle off, and calls `closed` once
 * it has ended, with what went wrong if anything did. Every hub SCU goes through here: on a network
 * error or timeout dcmjs-dimse only ends its own side (FIN), so a peer that never reads would never
 * close and the association would wait forever; the socket is destroyed instead.
 */
export type { ProposedContext };

/** Odd ids 1..255: at most 128 presentation contexts in one association (PS3.8 9.3.2.2). */
export const MAX_PRESENTATION_CONTEXTS = 128;

export function openAssociation(
  client: Client,
  target: ScuTarget,
  timeouts: ScuTimeouts,
  closed: (failure: AssociationFailure | undefined) => void,
  /**
   * The presentation contexts to propose, each with one transfer syntax, in place of dcmjs-dimse's own
   * (one context per SOP class offering Implicit and Explicit VR LE together, of which a peer that takes the
   * first syntax it knows accepts Implicit, failing every instance stored as Explicit).
   */
  proposal?: ProposedContext[],
): void {
  let failure: AssociationFailure | undefined;
  const peer = `${target.calledAeTitle}@${target.host}:${target.port}`;
  client.on('associationRejected', (rejection: { result: number; source: number; reason: number }) => {
    failure = {
      kind: 'rejected',
      permanent: rejection.result === 1,
      reason: rejection.reason,
      source: rejection.source,
      message: `${peer}: association ${describeRejection(rejection.result, rejection.source, rejection.reason)}`,
    };
    // Nothing more can come: the library only half-closes (FIN), so a peer that keeps its side open
    // would hold the rejection back until a timeout. It is reported now.
    ScuNetwork.of(client)?.socket.destroy();
  });
  client.on('networkError', (error: Error) => {
    failure ??= networkFailure(peer, error.message, timeouts);
    ScuNetwork.of(client)?.socket.destroy();
  });
  let released = false;
  client.on('associationReleased', () => (released = true));
  client.on('closed', () => {
    // A connection that ended with neither a release, a rejection nor an error was dropped by the peer (a
    // PACS that died behind a load balancer): a failure to retry, never a clean end with answers missing.
    failure ??= released
      ? undefined
      : { kind: 'network', message: `${peer}: connection closed by the peer before the association was released` };
    closed(failure);
  });
  client.send(target.host, target.port, target.callingAeTitle, target.calledAeTitle, {
    connectTimeout: timeouts.connectMs,
    associationTimeout: timeouts.associationMs,
    pduTimeout: timeouts.pduMs,
    ...(target.tls
      ? {
          securityOptions: {
            key: target.tls.key,
            cert: target.tls.cert,
            ca: target.tls.ca,
            rejectUnauthorized: true,
            minVersion: 'TLSv1.2',
          },
        }
      : {}),
  });
  const opened = ScuNetwork.of(client)!;
  opened.socket.setNoDelay(true);
  // The library's own log lines name the peer (before the A-ASSOCIATE-RQ they read " -> Connection error").
  opened.label(peer);
  if (proposal) {
    opened.propose(proposal, MAX_PRESENTATION_CONTEXTS);
  }
  // The library reads an A-ABORT and does nothing more, so the socket stayed open until a timeout fired
  // and the failure read "Connection timeout". An abort ends the association now, named as one.
  opened.onAbort(({ source, reason }) => {
    failure ??= { kind: 'aborted', source, reason, message: `${peer}: association ${describeAbort(source, reason)}` };
    opened.socket.destroy();
  });
}

/**
 * The library's network error in words, with the peer named (its own messages leave the AE title out):
 * "connection refused", "timeout" and "connection dropped" each as what it is.
 */
export function networkFailure(peer: string, message: string, timeouts: ScuTimeouts): AssociationFailure {
  if (/ECONNREFUSED/.test(message)) {
    return { kind: 'refused', message: `${peer}: connection refused (nothing listening)` };
  }
  if (/EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN/.test(message)) {
    return { kind: 'refused', message: `${peer}: cannot connect (${message.replace(/^.*?(E[A-Z_]+).*$/, '$1')})` };
  }
  if (/timeout/i.test(message)) {
    const which = /association timeout/i.test(message)
      ? `no association answer within ${timeouts.associationMs / 1000} s`
      : /PDU timeout/i.test(message)
        ? `no PDU within ${timeouts.pduMs / 1000} s`
        : `no answer within ${timeouts.connectMs / 1000} s`;
    return { kind: 'timeout', message: `${peer}: timeout (${which})` };
  }
  if (/ECONNRESET|EPIPE|closed/i.test(message)) {
    return { kind: 'network', message: `${peer}: connection dropped by the peer (${message.replace(/^.*?: /, '')})` };
  }
  return { kind: 'network', message: `${peer}: ${message.replace(/^[^>]*->\s*/, '')}` };
}
