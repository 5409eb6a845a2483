import { Dataset, requests, responses } from 'dcmjs-dimse';
import { encodeCStoreResponsePdu } from './dimse-encoding';

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
