/**
 * Encodes the C-STORE-RSP P-DATA-TF PDU directly. dcmjs-dimse builds every outgoing command by
 * merging its whole tag dictionary and re-encoding through dcmjs, which costs more CPU and garbage per
 * instance than storing the instance itself; the response is eight fixed elements (PS3.7 E.1).
 */

const C_STORE_RSP = 0x8001;
const NO_DATA_SET = 0x0101;

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
  const body = Buffer.concat(elements);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  const command = Buffer.concat([element(0x0000, groupLength), body]);

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
