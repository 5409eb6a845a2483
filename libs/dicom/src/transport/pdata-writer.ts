import type { Socket } from 'node:net';
import { encodePDataHeader } from '../codec/dimse-encoding';

/** Resolves once the socket has room again; rejects if it closes first. */
export function drained(socket: Socket): Promise<void> {
  if (socket.destroyed) {
    return Promise.reject(new Error('connection closed while sending'));
  }
  if (!socket.writableNeedDrain) {
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      if (error) {
        reject(error);
      } else {
        resolve();
      }
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error('connection closed while sending'));
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}

/**
 * Cuts a data set of known length into P-DATA-TF PDUs as its bytes arrive, writing each PDU's header
 * and the caller's slices without copying them; one corked write (writev) per chunk.
 */
export class PDataWriter {
  private written = 0;
  private leftInFragment = 0;

  constructor(
    private readonly socket: Socket,
    private readonly presentationContextId: number,
    private readonly fragmentBytes: number,
    private readonly total: number,
  ) {}

  write(chunk: Buffer): void {
    this.socket.cork();
    let offset = 0;
    while (offset < chunk.length) {
      if (this.leftInFragment === 0) {
        const fragment = Math.min(this.fragmentBytes, this.total - this.written);
        this.socket.write(
          encodePDataHeader(this.presentationContextId, fragment, {
            command: false,
            last: this.written + fragment === this.total,
          }),
        );
        this.leftInFragment = fragment;
      }
      const take = Math.min(this.leftInFragment, chunk.length - offset);
      this.socket.write(chunk.subarray(offset, offset + take));
      offset += take;
      this.leftInFragment -= take;
      this.written += take;
    }
    this.socket.uncork();
  }
}
