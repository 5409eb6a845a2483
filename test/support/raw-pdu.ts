import * as net from 'node:net';

/**
 * Hand-built upper-layer PDUs (PS3.8 9.3) for the peers no DCMTK tool can play: a requestor that breaks
 * the protocol on purpose. Everything well-formed here follows the standard byte for byte, so a test can
 * start from a valid PDU and break one field.
 */

export const VERIFICATION = '1.2.840.10008.1.1';
export const MR_STORAGE = '1.2.840.10008.5.1.4.1.1.4';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const IMPLICIT_LE = '1.2.840.10008.1.2';
const APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

export interface ProposedContext {
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

function item(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt8(type, 0);
  header.writeUInt16BE(body.length, 2);
  return Buffer.concat([header, body]);
}

function pdu(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

function aeField(ae: string): Buffer {
  return Buffer.from(ae.padEnd(16, ' ').slice(0, 16), 'latin1');
}

export function presentationContextItem(context: ProposedContext): Buffer {
  const head = Buffer.from([context.id, 0, 0, 0]);
  return item(
    0x20,
    Buffer.concat([
      head,
      item(0x30, Buffer.from(context.abstractSyntax, 'latin1')),
      ...context.transferSyntaxes.map((uid) => item(0x40, Buffer.from(uid, 'latin1'))),
    ]),
  );
}

export function userInformationItem(maxPduLength = 16384): Buffer {
  const maxLength = Buffer.alloc(4);
  maxLength.writeUInt32BE(maxPduLength, 0);
  return item(
    0x50,
    Buffer.concat([
      item(0x51, maxLength),
      item(0x52, Buffer.from('1.2.826.0.1.3680043.9.7433.1', 'latin1')),
      item(0x55, Buffer.from('RAWPDU_TEST', 'latin1')),
    ]),
  );
}

/** An A-ASSOCIATE-RQ; `items` replaces the variable items (application context, contexts, user info). */
export function associateRq(options: {
  calling: string;
  called: string;
  contexts?: ProposedContext[];
  items?: Buffer[];
  protocolVersion?: number;
}): Buffer {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(options.protocolVersion ?? 1, 0);
  aeField(options.called).copy(fixed, 4);
  aeField(options.calling).copy(fixed, 20);
  const items = options.items ?? [
    item(0x10, Buffer.from(APPLICATION_CONTEXT, 'latin1')),
    ...(options.contexts ?? []).map(presentationContextItem),
    userInformationItem(),
  ];
  return pdu(0x01, Buffer.concat([fixed, ...items]));
}

export const applicationContextItem = () => item(0x10, Buffer.from(APPLICATION_CONTEXT, 'latin1'));

export interface Pdv {
  contextId: number;
  command: boolean;
  last: boolean;
  value: Buffer;
}

export function pDataTf(pdvs: Pdv[]): Buffer {
  return pdu(
    0x04,
    Buffer.concat(
      pdvs.map((pdv) => {
        const header = Buffer.alloc(6);
        header.writeUInt32BE(pdv.value.length + 2, 0);
        header.writeUInt8(pdv.contextId, 4);
        header.writeUInt8((pdv.command ? 1 : 0) | (pdv.last ? 2 : 0), 5);
        return Buffer.concat([header, pdv.value]);
      }),
    ),
  );
}

export const releaseRq = () => pdu(0x05, Buffer.alloc(4));
export const abortPdu = () => pdu(0x07, Buffer.alloc(4));

function commandElement(element: number, value: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(element, 2);
  header.writeUInt32LE(value.length, 4);
  return Buffer.concat([header, value]);
}

const ushort = (value: number) => {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16LE(value, 0);
  return buffer;
};
const uid = (value: string) => Buffer.from(value.length % 2 ? `${value}\0` : value, 'latin1');

/** A C-STORE-RQ command set (implicit VR LE) announcing a data set. */
export function cStoreRqCommand(fields: { messageId: number; sopClassUid: string; sopInstanceUid: string }): Buffer {
  const body = Buffer.concat([
    commandElement(0x0002, uid(fields.sopClassUid)),
    commandElement(0x0100, ushort(0x0001)),
    commandElement(0x0110, ushort(fields.messageId)),
    commandElement(0x0700, ushort(0)),
    commandElement(0x0800, ushort(0x0000)),
    commandElement(0x1000, uid(fields.sopInstanceUid)),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length, 0);
  return Buffer.concat([commandElement(0x0000, length), body]);
}

/** A C-ECHO-RQ command set. */
export function cEchoRqCommand(messageId: number): Buffer {
  const body = Buffer.concat([
    commandElement(0x0002, uid(VERIFICATION)),
    commandElement(0x0100, ushort(0x0030)),
    commandElement(0x0110, ushort(messageId)),
    commandElement(0x0800, ushort(0x0101)),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length, 0);
  return Buffer.concat([commandElement(0x0000, length), body]);
}

/** The (0000,0900) Status of a DIMSE response carried in one P-DATA-TF PDU, if it holds one. */
export function responseStatus(pduBytes: Buffer): number | undefined {
  if (pduBytes[0] !== 0x04 || pduBytes.length < 12) {
    return undefined;
  }
  const command = pduBytes.subarray(12);
  let position = 0;
  while (position + 8 <= command.length) {
    const element = command.readUInt16LE(position + 2);
    const length = command.readUInt32LE(position + 4);
    if (element === 0x0900 && length === 2) {
      return command.readUInt16LE(position + 8);
    }
    position += 8 + length;
  }
  return undefined;
}

/**
 * One raw connection to a DICOM port: writes bytes, collects whole PDUs as they come back, and
 * reports when the other side closes.
 */
export class RawPeer {
  readonly pdus: Buffer[] = [];
  closed = false;
  private buffered = Buffer.alloc(0);
  private waiters: Array<() => void> = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 6 && this.buffered.length >= 6 + this.buffered.readUInt32BE(2)) {
        const length = 6 + this.buffered.readUInt32BE(2);
        this.pdus.push(this.buffered.subarray(0, length));
        this.buffered = this.buffered.subarray(length);
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed) {
      this.socket.write(bytes);
    }
  }

  /** Waits for the n-th PDU received (1-based) or the close, whichever first; undefined on close or timeout. */
  async nextPdu(count = this.pdus.length + 1, timeoutMs = 10000): Promise<Buffer | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.pdus.length < count && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.pdus[count - 1];
  }

  /** Waits until the other side closes the connection; false on timeout. */
  async waitClosed(timeoutMs = 10000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }
}
