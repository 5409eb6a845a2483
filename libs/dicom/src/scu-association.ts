import { Client } from 'dcmjs-dimse';
import type { Socket } from 'node:net';

export interface ScuTarget {
  host: string;
  port: number;
  callingAeTitle: string;
  calledAeTitle: string;
}

export type AssociationFailure =
  { kind: 'rejected'; permanent: boolean; reason: number; source: number } | { kind: 'network'; message: string };

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
export function openAssociation(
  client: Client,
  target: ScuTarget,
  timeouts: ScuTimeouts,
  closed: (failure: AssociationFailure | undefined) => void,
): void {
  let failure: AssociationFailure | undefined;
  const socket = () => (client as unknown as { network?: { socket: Socket } }).network?.socket;
  client.on('associationRejected', (rejection: { result: number; source: number; reason: number }) => {
    failure = {
      kind: 'rejected',
      permanent: rejection.result === 1,
      reason: rejection.reason,
      source: rejection.source,
    };
  });
  client.on('networkError', (error: Error) => {
    failure ??= { kind: 'network', message: error.message };
    socket()?.destroy();
  });
  client.on('closed', () => closed(failure));
  client.send(target.host, target.port, target.callingAeTitle, target.calledAeTitle, {
    connectTimeout: timeouts.connectMs,
    associationTimeout: timeouts.associationMs,
    pduTimeout: timeouts.pduMs,
  });
  socket()!.setNoDelay(true);
}
