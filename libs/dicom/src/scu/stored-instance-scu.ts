import { ScuTarget } from './scu-association';
import { StoreAssociation, StoreOptions } from './store-association';
import { InstanceOutcome, StoredInstance } from './stored-instance';

export * from './stored-instance';
export type { StoreOptions };

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
  options: StoreOptions = {},
): Promise<InstanceOutcome[]> {
  return new StoreAssociation(target, instances, options).run();
}
