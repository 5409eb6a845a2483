import { Dataset, requests, responses } from '../transport/dcmjs-bridge';
import {
  encodeCStoreRequestPdu,
  encodeCStoreResponsePdu,
  encodePDataHeader,
  readCStoreRequestCommand,
  readCStoreResponsePdu,
} from './dimse-encoding';

/** The library's own encoding of the same response, as the reference the fast path must equal. */
function libraryCommandBytes(status: number, comment?: string): Buffer {
  const dataset = new Dataset(
    { SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: '1.2.3.4.5' },
    '1.2.840.10008.1.2.1',
  );
  const request = new requests.CStoreRequest(dataset);
  request.setMessageId(7);
  const response = responses.CStoreResponse.fromRequest(request);
  response.setStatus(status);
  if (comment) {
    response.setErrorComment(comment);
  }
  const command = (
    response as unknown as { getCommandDataset(): { getDenaturalizedCommandDataset(): Buffer } }
  ).getCommandDataset();
  return command.getDenaturalizedCommandDataset();
}

describe('encodeCStoreResponsePdu', () => {
  const fields = {
    presentationContextId: 3,
    messageIdBeingRespondedTo: 7,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    sopInstanceUid: '1.2.3.4.5',
  };

  it.each([
    ['Success', 0x0000, undefined],
    ['Out of resources with a comment', 0xa700, 'storage unavailable'],
  ])('%s: the command set is byte for byte what dcmjs-dimse would send', (_, status, comment) => {
    const pdu = encodeCStoreResponsePdu({ ...fields, status, errorComment: comment });
    expect(pdu[0]).toBe(0x04);
    expect(pdu.readUInt32BE(2)).toBe(pdu.length - 6);
    expect(pdu.readUInt32BE(6)).toBe(pdu.length - 10);
    expect(pdu[10]).toBe(3);
    expect(pdu[11]).toBe(0x03);
    expect(pdu.subarray(12).equals(libraryCommandBytes(status, comment))).toBe(true);
  });
});

describe('encodeCStoreRequestPdu', () => {
  it.each([1, 7, 65535])('message %i: the command set is byte for byte what dcmjs-dimse would send', (messageId) => {
    const dataset = new Dataset(
      { SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: '1.2.3.4.5' },
      '1.2.840.10008.1.2.1',
    );
    const request = new requests.CStoreRequest(dataset);
    request.setMessageId(messageId);
    const library = (
      request as unknown as { getCommandDataset(): { getDenaturalizedCommandDataset(): Buffer } }
    ).getCommandDataset();

    const pdu = encodeCStoreRequestPdu({
      presentationContextId: 5,
      messageId,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: '1.2.3.4.5',
    });
    expect(pdu[0]).toBe(0x04);
    expect(pdu.readUInt32BE(2)).toBe(pdu.length - 6);
    expect(pdu.readUInt32BE(6)).toBe(pdu.length - 10);
    expect(pdu[10]).toBe(5);
    expect(pdu[11]).toBe(0x03);
    expect(pdu.subarray(12).equals(library.getDenaturalizedCommandDataset())).toBe(true);
  });
});

describe('encodePDataHeader', () => {
  it('frames a data set fragment: lengths, context and control header', () => {
    const header = encodePDataHeader(9, 16378, { command: false, last: false });
    expect([...header]).toEqual([0x04, 0, 0, 0, 0x40, 0x00, 0, 0, 0x3f, 0xfc, 9, 0x00]);
    expect(encodePDataHeader(9, 10, { command: false, last: true })[11]).toBe(0x02);
  });
});

describe('readCStoreResponsePdu', () => {
  const fields = {
    presentationContextId: 3,
    messageIdBeingRespondedTo: 513,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    sopInstanceUid: '1.2.3.4.5',
  };

  it.each([0x0000, 0xa700, 0xb000])('reads status %i, the message id and the error comment back', (status) => {
    const pdu = encodeCStoreResponsePdu({ ...fields, status, errorComment: status ? 'full' : undefined });
    expect(readCStoreResponsePdu(pdu)).toEqual({
      messageIdBeingRespondedTo: 513,
      status,
      ...(status ? { errorComment: 'full' } : {}),
    });
  });

  it('leaves anything else to the library', () => {
    const request = encodeCStoreRequestPdu({ ...fields, messageId: 1 });
    expect(readCStoreResponsePdu(request)).toBeUndefined();
    const response = encodeCStoreResponsePdu({ ...fields, status: 0 });
    expect(readCStoreResponsePdu(response.subarray(0, response.length - 2))).toBeUndefined();
    const fragment = Buffer.from(response);
    fragment[11] = 0x01;
    expect(readCStoreResponsePdu(fragment)).toBeUndefined();
    expect(readCStoreResponsePdu(Buffer.from([0x07, 0, 0, 0, 0, 4, 0, 0, 0, 0]))).toBeUndefined();
  });
});

describe('readCStoreRequestCommand', () => {
  const commandOf = (request: object): Buffer =>
    (request as { getCommandDataset(): { getDenaturalizedCommandDataset(): Buffer } })
      .getCommandDataset()
      .getDenaturalizedCommandDataset();

  it('reads the command set dcmjs-dimse encodes for a C-STORE-RQ', () => {
    const dataset = new Dataset(
      { SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: '1.2.3.4.5' },
      '1.2.840.10008.1.2.1',
    );
    const request = new requests.CStoreRequest(dataset);
    request.setMessageId(4097);
    expect(readCStoreRequestCommand(commandOf(request))).toEqual({
      messageId: 4097,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: '1.2.3.4.5',
      hasDataSet: true,
    });
  });

  it('reads what the hub itself sends, with the UIDs unpadded', () => {
    const pdu = encodeCStoreRequestPdu({
      presentationContextId: 1,
      messageId: 9,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.4',
      sopInstanceUid: '1.2.3.45',
    });
    expect(readCStoreRequestCommand(pdu.subarray(12))).toEqual({
      messageId: 9,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.4',
      sopInstanceUid: '1.2.3.45',
      hasDataSet: true,
    });
  });

  it('says when no data set follows', () => {
    const command = encodeCStoreRequestPdu({
      presentationContextId: 1,
      messageId: 9,
      sopClassUid: '1.2',
      sopInstanceUid: '1.3',
    }).subarray(12);
    const noDataSet = Buffer.from(command);
    // (0000,0800) is the fifth element: group length (12), class UID (8 + 4), command (10), id (10), priority (10).
    const position = 12 + 12 + 10 + 10 + 10;
    expect(noDataSet.readUInt16LE(position + 2)).toBe(0x0800);
    noDataSet.writeUInt16LE(0x0101, position + 8);
    expect(readCStoreRequestCommand(noDataSet)?.hasDataSet).toBe(false);
  });

  it('leaves every other command, and anything malformed, to the library', () => {
    const echo = new requests.CEchoRequest();
    echo.setMessageId(1);
    expect(readCStoreRequestCommand(commandOf(echo))).toBeUndefined();
    const command = encodeCStoreRequestPdu({
      presentationContextId: 1,
      messageId: 9,
      sopClassUid: '1.2',
      sopInstanceUid: '1.3',
    }).subarray(12);
    expect(readCStoreRequestCommand(command.subarray(0, command.length - 1))).toBeUndefined();
    expect(readCStoreRequestCommand(Buffer.alloc(0))).toBeUndefined();
    const otherGroup = Buffer.from(command);
    otherGroup.writeUInt16LE(0x0008, 0);
    expect(readCStoreRequestCommand(otherGroup)).toBeUndefined();
  });
});
