import { CStoreRequestCommand, readCStoreRequestCommand, readDataSetType } from '../codec/dimse-encoding';

/** Where the P-DATA-TF traffic of an association goes. */
export interface PDataHandlers {
  /** A C-STORE-RQ with a data set: its data set fragments follow through storeData. */
  storeCommand(presentationContextId: number, command: CStoreRequestCommand): void;
  /** A fragment of the data set of the last storeCommand: a view of the received PDU, not a copy. */
  storeData(value: Buffer, last: boolean): void;
  /** P-DATA-TF PDUs of every other message, in order, for dcmjs-dimse. */
  library(pdu: Buffer): void;
  /**
   * A data set fragment of a message the library gets (a C-FIND or C-MOVE identifier), seen before the
   * library sees its PDU: the raw bytes, which the library decodes in one character set only.
   */
  libraryData?(value: Buffer, last: boolean): void;
  /** The peer broke the protocol inside a C-STORE: the association must be aborted. */
  violation(problem: string): void;
}

type State =
  | { kind: 'idle' }
  /** Command fragments so far (values, and the PDV items themselves should the library need them). */
  | { kind: 'command'; presentationContextId: number; values: Buffer[]; items: Buffer[]; length: number }
  | { kind: 'store'; presentationContextId: number }
  | { kind: 'library-data' }
  /** Something this router does not follow: everything goes to the library, which handles it as before. */
  | { kind: 'passthrough' };

/** A command set is a few hundred bytes; one split over more than this is not followed. */
const MAX_COMMAND_LENGTH = 64 * 1024;
const PDU_HEADER_LENGTH = 6;
const PDV_HEADER_LENGTH = 6;

/**
 * Splits an association's P-DATA-TF PDUs by DIMSE message: C-STORE requests go to the hub, which
 * streams their data sets without copying; every other message (C-ECHO, C-FIND, C-MOVE, C-CANCEL, …)
 * goes to dcmjs-dimse as the PDUs that carried it. A PDU carrying PDVs of both is split into PDUs of
 * its own PDVs, which the library reads the same way.
 */
export class PDataRouter {
  private state: State = { kind: 'idle' };

  constructor(private readonly handlers: PDataHandlers) {}

  /**
   * One whole P-DATA-TF PDU, or its pieces in order. A data set fragment in pieces (one PDV filling the
   * PDU, its header in the first piece) goes on as the pieces; anything else is joined first.
   * Returns false once the association must be aborted.
   */
  push(received: Buffer | Buffer[]): boolean {
    if (Array.isArray(received)) {
      return this.pushPieces(received) ?? this.push(Buffer.concat(received));
    }
    const pdu = received;
    if (this.state.kind === 'passthrough') {
      this.handlers.library(pdu);
      return true;
    }
    const items = splitPdvItems(pdu);
    if (!items) {
      // dcmjs-dimse would read past the PDU's items; nothing malformed reaches it.
      return this.violate(
        this.state.kind === 'store' ? 'malformed P-DATA-TF PDU inside a C-STORE' : 'malformed P-DATA-TF PDU',
      );
    }
    const forLibrary: Buffer[] = [];
    const flush = () => {
      if (forLibrary.length === items.length && forLibrary.every((item, i) => item === items[i])) {
        this.handlers.library(pdu);
      } else if (forLibrary.length > 0) {
        this.handlers.library(wrapItems(forLibrary));
      }
      forLibrary.length = 0;
    };
    for (const item of items) {
      const presentationContextId = item[4];
      const command = (item[5] & 0x01) !== 0;
      const last = (item[5] & 0x02) !== 0;
      const value = item.subarray(PDV_HEADER_LENGTH);
      const state = this.state;
      switch (state.kind) {
        case 'passthrough':
        case 'library-data':
          forLibrary.push(item);
          if (state.kind === 'library-data' && !command) {
            this.handlers.libraryData?.(value, last);
          }
          if (state.kind === 'library-data' && last && !command) {
            this.state = { kind: 'idle' };
          } else if (state.kind === 'library-data' && command) {
            this.state = { kind: 'passthrough' };
          }
          break;
        case 'store':
          if (command || presentationContextId !== state.presentationContextId) {
            return this.violate(
              command
                ? 'a command arrived inside a C-STORE data set'
                : `a C-STORE data set continued on presentation context ${presentationContextId}`,
            );
          }
          if (last) {
            this.state = { kind: 'idle' };
          }
          flush();
          this.handlers.storeData(value, last);
          break;
        case 'idle':
        case 'command': {
          const fragments = state.kind === 'command' ? state : undefined;
          if (!command || (fragments && fragments.presentationContextId !== presentationContextId)) {
            forLibrary.push(...(fragments?.items ?? []), item);
            this.state = { kind: 'passthrough' };
            break;
          }
          const values = [...(fragments?.values ?? []), value];
          const itemsSoFar = [...(fragments?.items ?? []), item];
          const length = (fragments?.length ?? 0) + value.length;
          if (length > MAX_COMMAND_LENGTH) {
            return this.violate(`a command set longer than ${MAX_COMMAND_LENGTH} bytes`);
          }
          if (!last) {
            this.state = { kind: 'command', presentationContextId, values, items: itemsSoFar, length };
            break;
          }
          const commandSet = values.length === 1 ? values[0] : Buffer.concat(values, length);
          const store = readCStoreRequestCommand(commandSet);
          if (store?.hasDataSet) {
            flush();
            this.state = { kind: 'store', presentationContextId };
            this.handlers.storeCommand(presentationContextId, store);
            break;
          }
          forLibrary.push(...itemsSoFar);
          const dataSetType = readDataSetType(commandSet);
          this.state =
            dataSetType === undefined
              ? { kind: 'passthrough' }
              : dataSetType === NO_DATA_SET
                ? { kind: 'idle' }
                : { kind: 'library-data' };
          break;
        }
      }
    }
    flush();
    return true;
  }

  /** The data set fragment of a C-STORE in pieces, passed on without joining; undefined when not that. */
  private pushPieces(pieces: Buffer[]): boolean | undefined {
    const state = this.state;
    const first = pieces[0];
    if (state.kind !== 'store' || first.length < PDU_HEADER_LENGTH + PDV_HEADER_LENGTH) {
      return undefined;
    }
    const itemLength = first.readUInt32BE(PDU_HEADER_LENGTH);
    if (itemLength < 2 || itemLength + 4 !== first.readUInt32BE(2)) {
      return undefined;
    }
    const presentationContextId = first[PDU_HEADER_LENGTH + 4];
    const control = first[PDU_HEADER_LENGTH + 5];
    const command = (control & 0x01) !== 0;
    if (command || presentationContextId !== state.presentationContextId) {
      return this.violate(
        command
          ? 'a command arrived inside a C-STORE data set'
          : `a C-STORE data set continued on presentation context ${presentationContextId}`,
      );
    }
    const last = (control & 0x02) !== 0;
    if (last) {
      this.state = { kind: 'idle' };
    }
    const values = [first.subarray(PDU_HEADER_LENGTH + PDV_HEADER_LENGTH), ...pieces.slice(1)].filter(
      (value) => value.length > 0,
    );
    values.forEach((value, index) => this.handlers.storeData(value, last && index === values.length - 1));
    return true;
  }

  private violate(problem: string): false {
    this.state = { kind: 'passthrough' };
    this.handlers.violation(problem);
    return false;
  }
}

const NO_DATA_SET = 0x0101;

/** The PDV items of a P-DATA-TF PDU (length, context id, control header, value), or undefined if malformed. */
function splitPdvItems(pdu: Buffer): Buffer[] | undefined {
  const items: Buffer[] = [];
  let position = PDU_HEADER_LENGTH;
  while (position < pdu.length) {
    if (position + PDV_HEADER_LENGTH > pdu.length) {
      return undefined;
    }
    const length = pdu.readUInt32BE(position);
    if (length < 2 || position + 4 + length > pdu.length) {
      return undefined;
    }
    items.push(pdu.subarray(position, position + 4 + length));
    position += 4 + length;
  }
  return items.length > 0 ? items : undefined;
}

function wrapItems(items: Buffer[]): Buffer {
  const length = items.reduce((sum, item) => sum + item.length, 0);
  const header = Buffer.alloc(PDU_HEADER_LENGTH);
  header.writeUInt8(0x04, 0);
  header.writeUInt32BE(length, 2);
  return Buffer.concat([header, ...items], PDU_HEADER_LENGTH + length);
}
