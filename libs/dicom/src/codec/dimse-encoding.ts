import { walkCommandSet } from './element-reader';

/**
 * Encodes C-STORE commands directly. dcmjs-dimse builds every outgoing command by merging its whole
 * tag dictionary and re-encoding through dcmjs, which costs more CPU and garbage per instance than
 * storing or sending the instance itself; each command is a handful of fixed elements (PS3.7 E.1).
 */

const C_STORE_RQ = 0x0001;
const C_STORE_RSP = 0x8001;
const NO_DATA_SET = 0x0101;
/** What dcmjs-dimse writes for a command with a data set (any value but 0x0101 means one follows). */
const DATA_SET_PRESENT = 0x0202;
/** PDU type (1), reserved (1), PDU length (4), PDV item length (4), context id (1), control header (1). */
export const PDATA_HEADER_LENGTH = 12;

interface CStoreResponseFields {
  presentationContextId: number;
  messageIdBeingRespondedTo: number;
  sopClassUid: string;
  sopInstanceUid: string;
  status: number;
  errorComment?: string;
}

/** One implicit VR little endian element of the command group (0000,xxxx). */
function element(elementNumber: number, value: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16LE(0x0000, 0);
  header.writeUInt16LE(elementNumber, 2);
  header.writeUInt32LE(value.length, 4);
  return Buffer.concat([header, value]);
}

function ushort(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16LE(value & 0xffff, 0);
  return buffer;
}

function text(value: string, pad: number): Buffer {
  const bytes = Buffer.from(value, 'latin1');
  return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.from([pad])]);
}

/** The command group with its group length (0000,0000) first. */
function commandSet(elements: Buffer[]): Buffer {
  const body = Buffer.concat(elements);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  return Buffer.concat([element(0x0000, groupLength), body]);
}

/**
 * The header of a P-DATA-TF PDU carrying one PDV of `valueLength` bytes: a command or data set
 * fragment, the last one or not (PS3.8 9.3.5, E.2).
 */
export function encodePDataHeader(
  presentationContextId: number,
  valueLength: number,
  flags: { command: boolean; last: boolean },
): Buffer {
  const header = Buffer.allocUnsafe(PDATA_HEADER_LENGTH);
  header.writeUInt8(0x04, 0);
  header.writeUInt8(0x00, 1);
  header.writeUInt32BE(6 + valueLength, 2);
  header.writeUInt32BE(2 + valueLength, 6);
  header.writeUInt8(presentationContextId, 10);
  header.writeUInt8((flags.command ? 0x01 : 0x00) | (flags.last ? 0x02 : 0x00), 11);
  return header;
}

export interface CStoreRequestFields {
  presentationContextId: number;
  messageId: number;
  sopClassUid: string;
  sopInstanceUid: string;
  /** 0 medium (the default), 1 high, 2 low. */
  priority?: number;
}

/** The C-STORE-RQ command as one P-DATA-TF PDU; the data set follows in its own PDUs. */
export function encodeCStoreRequestPdu(fields: CStoreRequestFields): Buffer {
  const command = commandSet([
    element(0x0002, text(fields.sopClassUid, 0x00)),
    element(0x0100, ushort(C_STORE_RQ)),
    element(0x0110, ushort(fields.messageId)),
    element(0x0700, ushort(fields.priority ?? 0)),
    element(0x0800, ushort(DATA_SET_PRESENT)),
    element(0x1000, text(fields.sopInstanceUid, 0x00)),
  ]);
  return Buffer.concat([
    encodePDataHeader(fields.presentationContextId, command.length, { command: true, last: true }),
    command,
  ]);
}

export function encodeCStoreResponsePdu(fields: CStoreResponseFields): Buffer {
  const elements = [
    element(0x0002, text(fields.sopClassUid, 0x00)),
    element(0x0100, ushort(C_STORE_RSP)),
    element(0x0120, ushort(fields.messageIdBeingRespondedTo)),
    element(0x0800, ushort(NO_DATA_SET)),
    element(0x0900, ushort(fields.status)),
    ...(fields.errorComment ? [element(0x0902, text(fields.errorComment.slice(0, 64), 0x20))] : []),
    element(0x1000, text(fields.sopInstanceUid, 0x00)),
  ];
  const command = commandSet(elements);

  // P-DATA-TF: PDU header, one PDV item (length, context id, control header: command, last fragment).
  const pdu = Buffer.alloc(6 + 6 + command.length);
  pdu.writeUInt8(0x04, 0);
  pdu.writeUInt32BE(6 + command.length, 2);
  pdu.writeUInt32BE(2 + command.length, 6);
  pdu.writeUInt8(fields.presentationContextId, 10);
  pdu.writeUInt8(0x03, 11);
  command.copy(pdu, 12);
  return pdu;
}

export interface CStoreResponseSummary {
  messageIdBeingRespondedTo: number;
  status: number;
  /** (0000,0902) Error Comment, when the peer gave one. */
  errorComment?: string;
}

/**
 * Reads a C-STORE-RSP out of a P-DATA-TF PDU that holds exactly one complete command PDV; undefined
 * for anything else (the caller hands that to dcmjs-dimse).
 */
export function readCStoreResponsePdu(pdu: Buffer): CStoreResponseSummary | undefined {
  if (pdu.length < PDATA_HEADER_LENGTH || pdu[0] !== 0x04 || pdu[11] !== 0x03) {
    return undefined;
  }
  if (pdu.readUInt32BE(2) !== pdu.length - 6 || pdu.readUInt32BE(6) !== pdu.length - 10) {
    return undefined;
  }
  let commandField: number | undefined;
  let messageId: number | undefined;
  let status: number | undefined;
  let errorComment: string | undefined;
  const position = walkCommandSet(pdu, PDATA_HEADER_LENGTH, pdu.length, (elementNumber, value, length) => {
    if (length === 2 && elementNumber === 0x0100) {
      commandField = pdu.readUInt16LE(value);
    } else if (length === 2 && elementNumber === 0x0120) {
      messageId = pdu.readUInt16LE(value);
    } else if (length === 2 && elementNumber === 0x0900) {
      status = pdu.readUInt16LE(value);
    } else if (elementNumber === 0x0902 && length > 0) {
      errorComment = pdu.toString('latin1', value, value + length).replace(/[\0 ]+$/, '');
    }
  });
  if (position !== pdu.length || commandField !== C_STORE_RSP || messageId === undefined || status === undefined) {
    return undefined;
  }
  return { messageIdBeingRespondedTo: messageId, status, ...(errorComment ? { errorComment } : {}) };
}

export interface CStoreRequestCommand {
  messageId: number;
  sopClassUid: string;
  sopInstanceUid: string;
  /** Whether a data set follows (CommandDataSetType other than 0x0101). */
  hasDataSet: boolean;
}

/** A UID value as the library reads it: Latin-1, trailing NUL padding removed. */
function uidText(value: Buffer): string {
  let end = value.length;
  while (end > 0 && value[end - 1] === 0x00) {
    end -= 1;
  }
  return value.toString('latin1', 0, end);
}

/**
 * Reads a C-STORE-RQ command set (implicit VR little endian, group 0000, PS3.7 9.3.1.1); undefined
 * when the command is anything else or is not well formed, for the caller to hand to dcmjs-dimse.
 */
export function readCStoreRequestCommand(command: Buffer): CStoreRequestCommand | undefined {
  let commandField: number | undefined;
  let messageId: number | undefined;
  let dataSetType: number | undefined;
  let sopClassUid: string | undefined;
  let sopInstanceUid: string | undefined;
  const position = walkCommandSet(command, 0, command.length, (elementNumber, value, length) => {
    if (length === 2 && elementNumber === 0x0100) {
      commandField = command.readUInt16LE(value);
    } else if (length === 2 && elementNumber === 0x0110) {
      messageId = command.readUInt16LE(value);
    } else if (length === 2 && elementNumber === 0x0800) {
      dataSetType = command.readUInt16LE(value);
    } else if (elementNumber === 0x0002) {
      sopClassUid = uidText(command.subarray(value, value + length));
    } else if (elementNumber === 0x1000) {
      sopInstanceUid = uidText(command.subarray(value, value + length));
    }
  });
  if (
    position !== command.length ||
    commandField !== C_STORE_RQ ||
    messageId === undefined ||
    dataSetType === undefined ||
    sopClassUid === undefined ||
    sopInstanceUid === undefined
  ) {
    return undefined;
  }
  return { messageId, sopClassUid, sopInstanceUid, hasDataSet: dataSetType !== NO_DATA_SET };
}

/** CommandDataSetType (0000,0800) of a command set, or undefined if it cannot be read. */
export function readDataSetType(command: Buffer): number | undefined {
  let dataSetType: number | undefined;
  walkCommandSet(command, 0, command.length, (elementNumber, value, length) => {
    if (elementNumber === 0x0800 && length === 2) {
      dataSetType = command.readUInt16LE(value);
      return true;
    }
    return false;
  });
  return dataSetType;
}
