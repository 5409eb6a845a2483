import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { Client, DCMJS_DIMSE_VERSION, Scp, ScuNetwork, dimseLog, queuedRequests, requests } from './dcmjs-bridge';

/**
 * The bridge reaches into dcmjs-dimse's private members. This pins the version it was written against
 * and checks each member it relies on still exists where it expects it: an upgrade that moves one fails
 * here, not on a live association.
 */
describe('dcmjs-dimse bridge', () => {
  it('is written against the installed dcmjs-dimse version', () => {
    const manifest = JSON.parse(readFileSync(join(process.cwd(), 'node_modules/dcmjs-dimse/package.json'), 'utf8')) as {
      version: string;
    };
    expect(manifest.version).toBe(DCMJS_DIMSE_VERSION);
  });

  it("finds the private methods it hooks on the library's Network (the base of Scp)", () => {
    const prototype = Scp.prototype as unknown as Record<string, unknown>;
    for (const method of ['_processPdu', '_sendPDataTF', 'emit', 'sendRequests', 'sendAssociationRequest']) {
      expect(typeof prototype[method]).toBe('function');
    }
  });

  it('finds the private state it reads and sets on an SCP', () => {
    const socket = new net.Socket();
    const scp = new Scp(socket) as unknown as Record<string, unknown>;
    try {
      for (const field of ['requests', 'pending', 'connected', 'connectedTime', 'lastPduTime', 'socket']) {
        expect(field in scp).toBe(true);
      }
      expect(Array.isArray(scp.requests)).toBe(true);
      expect(Array.isArray(scp.pending)).toBe(true);
      expect(scp.connected).toBe(false);
      expect('dimseStream' in scp).toBe(true);
      // Its log lines start with logId, which ScuNetwork.label sets.
      expect(scp.logId).toBe('');
    } finally {
      socket.destroy();
    }
  });

  it("finds a Client's request queue and the network it opens in send", async () => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const client = new Client();
    client.on('networkError', () => undefined);
    const closed = new Promise<void>((resolve) => client.on('closed', () => resolve()));
    dimseLog.setLevel('silent');
    const request = new requests.CEchoRequest();
    client.addRequest(request);
    expect(queuedRequests(client)).toContain(request);
    expect(ScuNetwork.of(client)).toBeUndefined();
    try {
      client.send('127.0.0.1', port, 'BRIDGE_SPEC', 'ANY_SCP', { connectTimeout: 2000 });
      const network = ScuNetwork.of(client);
      expect(network).toBeDefined();
      expect(network!.socket).toBeInstanceOf(net.Socket);
      // Each hook installs over a member the library has.
      const internals = (client as unknown as { network: Record<string, unknown> }).network;
      for (const member of ['requests', 'pending', 'lastPduTime', '_processPdu', '_sendPDataTF']) {
        expect(member in internals).toBe(true);
      }
      network!.interceptPdus(() => true);
      network!.sendDataWith(() => undefined);
      network!.holdDone(() => false);
      expect(internals._processPdu).not.toBe((Scp.prototype as unknown as Record<string, unknown>)._processPdu);
      network!.socket.destroy();
      await closed;
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
