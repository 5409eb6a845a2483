import { mkdtempSync, rmSync } from 'node:fs';
import { Server, Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { StorescpHandle, freePort, startStorescp } from './support/dcmtk';
import { TestHub, ra7PushNodeAt, startTestHub } from './support/test-hub';

interface EchoBody {
  aeTitle: string;
  ok: boolean;
  result: string;
  status: number | null;
  roundTripMs: number;
  message: string;
}

/** A peer that accepts the TCP connection and then does `behave` to it (answers nothing, or aborts). */
async function fakePeer(behave: (socket: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    behave(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// "C-ECHO now" on the Operations page: the hub's AE (IEP_HUB) sends a Verification to a node and answers how it
// went, with the round-trip time, each failure named as it is. storescp (which accepts Verification) plays RA7's
// PACS; a stopped port, storescp --refuse, a silent peer and one that aborts play the failures.
describe('portal: C-ECHO a node', () => {
  let hub: TestHub;
  let scp: StorescpHandle;
  let work: string;
  let operator: { Authorization: string };

  const echo = async (aeTitle = 'RA7_PACS') =>
    (await request(hub.http!).post(`/api/operations/nodes/${aeTitle}/echo`).set(operator).expect(200)).body as EchoBody;
  const pointRa7At = (port: number) =>
    hub.dataSource.query(`UPDATE nodes SET port = ? WHERE ae_title = 'RA7_PACS'`, [port]);
  const lastEchoEvent = async () =>
    (
      (await hub.dataSource.query(
        `SELECT actor_user AS user, actor_address AS address, outcome, destination_trust AS trust, detail
           FROM audit_events WHERE event = 'node-echoed' ORDER BY id DESC LIMIT 1`,
      )) as Array<{ user: string; address: string; outcome: number; trust: string; detail: Record<string, unknown> }>
    )[0];

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-echo-'));
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir: work, logLevel: 'debug' });
    hub = await startTestHub({ apps: ['portal'], configure: ra7PushNodeAt(scp.port) });
    operator = await hub.userSession('echo-operator', 'operator');
  });

  afterAll(async () => {
    await hub?.destroy();
    await scp?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('echoes a node that answers, operators only, and audits it', async () => {
    for (const [name, role, trust] of [
      ['echo-governance', 'governance', undefined],
      ['echo-admin', 'trust-admin', 'RA7'],
    ] as const) {
      const headers = await hub.userSession(name, role, trust);
      await request(hub.http!).post('/api/operations/nodes/RA7_PACS/echo').set(headers).expect(403);
    }
    await request(hub.http!).post('/api/operations/nodes/NO_SUCH_NODE/echo').set(operator).expect(404);
    await request(hub.http!).post('/api/operations/nodes/bad..title..far..too..long/echo').set(operator).expect(404);

    const answer = await echo();
    // The answer names the hub's calling AE: the one the node must allow.
    expect(answer).toMatchObject({
      aeTitle: 'RA7_PACS',
      callingAeTitle: 'IEP_HUB',
      ok: true,
      result: 'success',
      status: 0,
    });
    expect(answer.roundTripMs).toBeGreaterThanOrEqual(0);
    expect(answer.roundTripMs).toBeLessThan(5000);
    // storescp saw the hub's AE title and a C-ECHO.
    await scp.waitForLog(/Received Echo Request/);
    expect(scp.log()).toMatch(/IEP_HUB/);
    const event = await lastEchoEvent();
    expect(event).toMatchObject({ user: 'echo-operator', outcome: 0, trust: 'RA7' });
    expect(event.address).toMatch(/127\.0\.0\.1/);
    expect(event.detail).toEqual({
      node: `RA7_PACS@127.0.0.1:${scp.port}`,
      result: 'success',
      status: 0,
      roundTripMs: answer.roundTripMs,
    });
  });

  it('names a refused connection, a rejected association, an abort and a timeout', async () => {
    const stopped = await freePort();
    await pointRa7At(stopped);
    expect(await echo()).toMatchObject({ ok: false, result: 'refused', status: null });
    expect((await echo()).message).toBe(`RA7_PACS@127.0.0.1:${stopped}: connection refused (nothing listening)`);
    const refused = await lastEchoEvent();
    expect(refused).toMatchObject({ outcome: 8 });
    expect(refused.detail).toMatchObject({ result: 'refused', error: expect.stringMatching(/connection refused/) });

    const refusing = await startStorescp({ aeTitle: 'RA7_PACS', outputDir: work, extraArgs: ['--refuse'] });
    try {
      await pointRa7At(refusing.port);
      const rejected = await echo();
      expect(rejected).toMatchObject({ ok: false, result: 'rejected', callingAeTitle: 'IEP_HUB' });
      expect(rejected.message).toMatch(/association rejected/);
    } finally {
      await refusing.stop();
    }

    // A-ABORT (PDU type 7, source 2: service provider) as soon as the association request arrives.
    const aborting = await fakePeer((socket) =>
      socket.once('data', () => socket.write(Buffer.from([0x07, 0, 0, 0, 0, 4, 0, 0, 2, 0]))),
    );
    try {
      await pointRa7At(aborting.port);
      const aborted = await echo();
      expect(aborted).toMatchObject({ ok: false, result: 'aborted' });
      expect(aborted.message).toMatch(/abort/);
    } finally {
      await aborting.close();
    }

    // Accepts the connection and never answers: a timeout (the library's 5 s connect timeout runs until the answer).
    const silent = await fakePeer(() => undefined);
    try {
      await pointRa7At(silent.port);
      const timedOut = await echo();
      expect(timedOut).toMatchObject({ ok: false, result: 'timeout' });
      expect(timedOut.message).toMatch(/^RA7_PACS@127\.0\.0\.1:\d+: timeout/);
      expect(timedOut.roundTripMs).toBeGreaterThanOrEqual(4500);
    } finally {
      await silent.close();
    }
  }, 60_000);
});
