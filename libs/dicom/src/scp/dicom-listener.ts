import { Logger } from '@nestjs/common';
import { Implementation, dimseLog } from '../transport/dcmjs-bridge';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { HubScp, HubScpOptions } from './hub-scp';

export interface DicomListenerOptions extends HubScpOptions {
  host: string;
  port: number;
  /**
   * DICOM TLS on a port of its own (PS3.15 B.1): the hub's certificate and key, and the CA whose signature
   * a peer's certificate must carry (mutual authentication: a peer without one is refused in the handshake).
   */
  tls?: { port: number; key: Buffer; cert: Buffer; ca: Buffer };
}

/**
 * The hub's DICOM port. It owns the TCP server (rather than dcmjs-dimse's Server) so it can bind
 * one interface, disable Nagle on every socket, and stop accepting before shutdown.
 */
export class DicomListener {
  private readonly logger = new Logger(DicomListener.name);
  private server?: net.Server;
  private tlsServer?: tls.Server;
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
    if (this.options.tls) {
      await this.listenTls(this.options.tls);
    }
    return address.port;
  }

  /** The DICOM TLS port, once listening (0 when TLS is not configured). */
  get tlsPort(): number {
    return (this.tlsServer?.address() as net.AddressInfo | null)?.port ?? 0;
  }

  private async listenTls(options: NonNullable<DicomListenerOptions['tls']>): Promise<void> {
    const server = tls.createServer(
      {
        key: options.key,
        cert: options.cert,
        ca: options.ca,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      },
      (socket) => this.accept(socket),
    );
    // A failed handshake never reaches an association: audited here, with the peer's address, taken when
    // the TCP connection came (a peer that drops at once leaves none on the TLS socket by then).
    const addresses = new WeakMap<net.Socket, string>();
    server.on('connection', (raw: net.Socket) => addresses.set(raw, raw.remoteAddress ?? 'unknown'));
    server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => {
      const raw = (socket as unknown as { _parent?: net.Socket })._parent;
      const address = (socket.remoteAddress ?? (raw && addresses.get(raw)) ?? 'unknown').replace(/^::ffff:/, '');
      this.logger.warn(`DICOM TLS handshake from ${address} failed: ${error.message}`);
      this.options.handler
        .tlsFailure(address, error.message)
        .catch((auditError: Error) => this.logger.error(`auditing a TLS failure failed: ${auditError.message}`));
    });
    this.tlsServer = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as net.AddressInfo;
    this.logger.log(`DICOM TLS listening on ${address.address}:${address.port}`);
  }

  /** Stops accepting associations, then waits (up to graceMs) for open ones to finish. */
  async close(graceMs = 10000): Promise<void> {
    const server = this.server;
    if (!server) {
      return;
    }
    this.server = undefined;
    const tlsServer = this.tlsServer;
    this.tlsServer = undefined;
    const closed = Promise.all([
      new Promise<void>((resolve) => server.close(() => resolve())),
      new Promise<void>((resolve) => (tlsServer ? tlsServer.close(() => resolve()) : resolve())),
    ]);
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
