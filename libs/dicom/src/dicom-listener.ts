import { Logger } from '@nestjs/common';
import { Implementation, log as dimseLog } from 'dcmjs-dimse';
import * as net from 'node:net';
import { HubScp, HubScpOptions } from './hub-scp';

export interface DicomListenerOptions extends HubScpOptions {
  host: string;
  port: number;
}

/**
 * The hub's DICOM port. It owns the TCP server (rather than dcmjs-dimse's Server) so it can bind
 * one interface, disable Nagle on every socket, and stop accepting before shutdown.
 */
export class DicomListener {
  private readonly logger = new Logger(DicomListener.name);
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly options: DicomListenerOptions) {
    // The library logs every PDU at TRACE by default.
    dimseLog.setLevel('error');
    Implementation.setMaxPduLength(options.maxPduLength);
  }

  async listen(): Promise<number> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as net.AddressInfo;
    this.logger.log(`DICOM listening on ${address.address}:${address.port}`);
    return address.port;
  }

  /** Stops accepting associations, then waits (up to graceMs) for open ones to finish. */
  async close(graceMs = 10000): Promise<void> {
    const server = this.server;
    if (!server) {
      return;
    }
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const deadline = setTimeout(() => {
      for (const socket of this.sockets) {
        socket.destroy();
      }
    }, graceMs);
    await closed;
    clearTimeout(deadline);
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30000);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    new HubScp(socket, this.options);
  }
}
