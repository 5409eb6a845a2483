import { PduGuard } from './pdu-guard';

function pdu(type: number, length: number, body = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(length, 2);
  return Buffer.concat([header, body]);
}

describe('PduGuard', () => {
  it('lets through P-DATA-TF PDUs up to the limit, across arbitrary chunking', () => {
    const guard = new PduGuard(1000);
    const stream = Buffer.concat([pdu(0x04, 1000, Buffer.alloc(1000)), pdu(0x04, 10, Buffer.alloc(10))]);
    for (let offset = 0; offset < stream.length; offset += 7) {
      expect(guard.inspect(stream.subarray(offset, offset + 7))).toBeUndefined();
    }
  });

  it('reports a P-DATA-TF PDU longer than the limit, even when its header is split', () => {
    const guard = new PduGuard(1000);
    const header = pdu(0x04, 1001);
    expect(guard.inspect(header.subarray(0, 3))).toBeUndefined();
    expect(guard.inspect(header.subarray(3))).toMatch(/PDU type 0x04 of 1001 bytes exceeds the limit of 1000/);
  });

  it('holds association PDUs to a small limit whatever the data limit', () => {
    const guard = new PduGuard(1 << 20);
    expect(guard.inspect(pdu(0x01, 1 << 30))).toMatch(/PDU type 0x01/);
  });

  it('finds an oversize PDU that follows valid ones in the same chunk', () => {
    const guard = new PduGuard(100);
    const chunk = Buffer.concat([pdu(0x04, 4, Buffer.alloc(4)), pdu(0x04, 5000)]);
    expect(guard.inspect(chunk)).toMatch(/5000 bytes/);
  });
});
