import { Client, constants, log as dimseLog, requests } from 'dcmjs-dimse';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { splitPart10 } from './part10';

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

export interface ScuTarget {
  host: string;
  port: number;
  callingAeTitle: string;
  calledAeTitle: string;
}

export interface InstanceOutcome {
  id: string;
  /** DIMSE status from the peer; undefined when the instance was never answered. */
  status?: number;
  error?: string;
}

export type AssociationFailure =
  { kind: 'rejected'; permanent: boolean; reason: number; source: number } | { kind: 'network'; message: string };

export class AssociationFailedError extends Error {
  constructor(
    readonly failure: AssociationFailure,
    readonly outcomes: InstanceOutcome[],
  ) {
    super(
      failure.kind === 'rejected'
        ? `association rejected (${failure.permanent ? 'permanent' : 'transient'}, source ${failure.source}, reason ${failure.reason})`
        : `association failed: ${failure.message}`,
    );
  }
}

/**
 * The data set of a stored instance as dcmjs-dimse sends it: its transfer syntax is the stored one,
 * so the library does not transcode, and its bytes are the file's data set exactly as received
 * (read when the request goes out, not before).
 */
class StoredDataset {
  constructor(
    private readonly path: string,
    private readonly transferSyntaxUid: string,
    private readonly transform?: (dataset: Buffer) => Buffer,
  ) {}

  getTransferSyntaxUid(): string {
    return this.transferSyntaxUid;
  }

  getDenaturalizedDataset(): Buffer {
    const dataset = splitPart10(readFileSync(this.path)).dataset;
    return this.transform ? this.transform(dataset) : dataset;
  }

  getElement(): undefined {
    return undefined;
  }

  toString(): string {
    return `stored data set ${this.path}`;
  }
}

interface NetworkInternals {
  socket: Socket;
  dimseStream?: unknown;
  pending: unknown[];
}

/**
 * Sends stored instances over one association, byte for byte: an instance goes only in a
 * presentation context accepted with its own transfer syntax (never transcoded), else it fails with
 * the reason. Works around two dcmjs-dimse SCU costs through its own objects: the receive buffer is
 * cleared after each C-STORE-RSP (the library keeps appending, so every response re-parses all earlier
 * ones) and answered requests leave the pending list. Nagle is off on the socket.
 */
export function sendStoredInstances(
  target: ScuTarget,
  instances: StoredInstance[],
  options: {
    /** Applied to each data set as it goes out (the recipient's coercion); the stored file never changes. */
    transform?: (dataset: Buffer, instance: StoredInstance) => Buffer;
    timeouts?: { connectMs: number; associationMs: number; pduMs: number };
    /** Called as each instance is answered (C-MOVE reports sub-operation progress from it). */
    onOutcome?: (outcome: InstanceOutcome) => void;
  } = {},
): Promise<InstanceOutcome[]> {
  const timeouts = options.timeouts ?? { connectMs: 10000, associationMs: 30000, pduMs: 60000 };
  const transform = options.transform;
  // The library logs every PDU at TRACE by default, building the strings eagerly.
  dimseLog.setLevel('error');
  const outcomes = new Map<string, InstanceOutcome>();
  const client = new Client();
  const byRequest = new Map<object, StoredInstance>();
  for (const instance of instances) {
    const request = new requests.CStoreRequest(undefined as unknown as string);
    request.setAffectedSopClassUid(instance.sopClassUid);
    request.setAffectedSopInstanceUid(instance.sopInstanceUid);
    (request as unknown as { setDataset(dataset: unknown): void }).setDataset(
      new StoredDataset(
        instance.path,
        instance.transferSyntaxUid,
        transform ? (dataset) => transform(dataset, instance) : undefined,
      ),
    );
    request.on('response', (response: { getStatus(): number }) => {
      const outcome = { id: instance.id, status: response.getStatus() };
      outcomes.set(instance.id, outcome);
      options.onOutcome?.(outcome);
      const network = (client as unknown as { network?: NetworkInternals }).network;
      if (network) {
        network.dimseStream = undefined;
        const index = network.pending.indexOf(request);
        if (index >= 0) {
          network.pending.splice(index, 1);
        }
      }
    });
    byRequest.set(request, instance);
    client.addRequest(request);
  }

  return new Promise<InstanceOutcome[]>((resolve, reject) => {
    let failure: AssociationFailure | undefined;
    const all = () =>
      instances.map((instance) => outcomes.get(instance.id) ?? { id: instance.id, error: 'not answered' });

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
        const accepted = association
          .getPresentationContexts()
          .map((proposed) => association.getPresentationContext(proposed.id))
          .filter((context) => context.getResult() === PresentationContextResult.Accept);
        // Runs before the library sends: drop what cannot go byte for byte, with the reason.
        const queue = (client as unknown as { requests: object[] }).requests;
        for (const request of [...queue]) {
          const instance = byRequest.get(request)!;
          const fits = accepted.some(
            (context) =>
              context.getAbstractSyntaxUid() === instance.sopClassUid &&
              context.getAcceptedTransferSyntaxUid() === instance.transferSyntaxUid,
          );
          if (!fits) {
            queue.splice(queue.indexOf(request), 1);
            outcomes.set(instance.id, {
              id: instance.id,
              error: `the peer accepted no presentation context for ${instance.sopClassUid} in ${instance.transferSyntaxUid}`,
            });
          }
        }
      },
    );
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
    });
    client.on('closed', () => {
      if (failure) {
        reject(new AssociationFailedError(failure, all()));
      } else {
        resolve(all());
      }
    });
    client.send(target.host, target.port, target.callingAeTitle, target.calledAeTitle, {
      connectTimeout: timeouts.connectMs,
      associationTimeout: timeouts.associationMs,
      pduTimeout: timeouts.pduMs,
    });
    (client as unknown as { network: NetworkInternals }).network.socket.setNoDelay(true);
  });
}
