import * as net from 'node:net';

/**
 * A TCP relay the hub talks to MySQL through, so a test can make the real database unreachable
 * (cut: every connection dropped, new ones refused) and bring it back (restore). It also counts the
 * connections clients hold open at once (e.g. associations to a recipient PACS).
 */
export class TcpProxy {
  private server?: net.Server;
  private readonly connections = new Set<net.Socket>();
  port = 0;
  /** Client connections open now, and the most ever open at once. */
  open = 0;
  peakOpen = 0;
  accepted = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<number> {
    const server = net.createServer((client) => {
      this.accepted += 1;
      this.open += 1;
      this.peakOpen = Math.max(this.peakOpen, this.open);
      client.once('close', () => (this.open -= 1));
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.connections.add(socket);
        socket.on('close', () => this.connections.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.connections) {
      socket.destroy();
    }
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  async restore(): Promise<void> {
    await this.start(this.port);
  }
}
