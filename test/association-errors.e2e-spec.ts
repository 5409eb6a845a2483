import { Logger } from '@nestjs/common';
import {
  AssociationFailedError,
  classifyAssociationFailure,
  echo,
  findStudies,
  routeDimseLog,
  sendStoredInstances,
} from '@hub/dicom';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { StorescpHandle, freePort, movescu, sleep, startStorescp, storescu } from './support/dcmtk';
import { GeneratedStudy, makeStudy } from './support/dicom-factory';
import { RawPeer, VERIFICATION, IMPLICIT_LE, abortPdu, associateRq } from './support/raw-pdu';
import { TestHub, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';

/** A-ASSOCIATE-RJ (PS3.8 9.3.4): result, source, reason. */
const associateRj = (result: number, source: number, reason: number) =>
  Buffer.from([0x03, 0, 0, 0, 0, 4, 0, result, source, reason]);
/** A-ABORT (PS3.8 9.3.8): source, reason. */
const abort = (source: number, reason: number) => Buffer.from([0x07, 0, 0, 0, 0, 4, 0, 0, source, reason]);

/**
 * A peer that answers the A-ASSOCIATE-RQ with `answer` (or nothing) and then keeps the connection open,
 * as a PACS may: the hub must not wait for it to close before it says what happened.
 */
async function peerAnswering(answer: Buffer | undefined) {
  const sockets = new Set<net.Socket>();
  const connectedAt: number[] = [];
  const peer = { answer };
  // allowHalfOpen: the hub's FIN does not close this side (Node would otherwise end it at once).
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    connectedAt.push(Date.now());
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => peer.answer && socket.write(peer.answer));
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connectedAt,
    /** What it answers from the next connection on. */
    answerWith(next: Buffer | undefined) {
      peer.answer = next;
    },
    async close() {
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function instancesOf(study: GeneratedStudy) {
  return study.series.flatMap((series) =>
    series.instances.map((instance) => ({
      id: instance.sopInstanceUid,
      sopClassUid: instance.sopClassUid,
      sopInstanceUid: instance.sopInstanceUid,
      transferSyntaxUid: instance.transferSyntaxUid,
      path: instance.path,
    })),
  );
}

/** How long `attempt` takes to fail, and its AssociationFailedError. */
async function failureOf(attempt: () => Promise<unknown>): Promise<{ error: AssociationFailedError; ms: number }> {
  const started = Date.now();
  try {
    await attempt();
  } catch (error) {
    if (error instanceof AssociationFailedError) {
      return { error, ms: Date.now() - started };
    }
    throw error;
  }
  throw new Error('expected the association to fail');
}

/**
 * What the hub says when a peer will not take its association: A-ASSOCIATE-RJ and A-ABORT named as such
 * at once (not "Connection timeout" seconds later), with the peer's AE title, address, source and reason;
 * a refused connection and a silent peer as what they are. The peers are DCMTK's storescp and raw sockets
 * for what no DCMTK tool does (answer and keep the connection open).
 */
describe('honest association errors (storescp and raw peers)', () => {
  let work: string;
  let study: GeneratedStudy;
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-assoc-errors-'));
    study = await makeStudy(path.join(work, 'study'), {
      patientId: 'AER0001',
      patientName: 'TEST^ERRORS',
      series: [{ kind: 'mr-small', count: 2 }],
    });
  });

  afterEach(async () => {
    for (const close of closers.splice(0)) {
      await close();
    }
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const target = (port: number) => ({ host: HOST, port, callingAeTitle: 'IEP_HUB', calledAeTitle: 'RA7_PACS' });
  const timeouts = { connectMs: 10000, associationMs: 10000, pduMs: 10000 };

  describe('the SCU (delivery, fetch, echo)', () => {
    it('names a DCMTK rejection (storescp --refuse) at once, with the peer, as permanent', async () => {
      const scp: StorescpHandle = await startStorescp({
        aeTitle: 'RA7_PACS',
        outputDir: work,
        extraArgs: ['--refuse'],
      });
      closers.push(async () => {
        await scp.stop();
      });
      const { error, ms } = await failureOf(() =>
        sendStoredInstances(target(scp.port), instancesOf(study), { timeouts }),
      );
      expect(error.message).toBe(
        `RA7_PACS@127.0.0.1:${scp.port}: association rejected permanent by the service user: no reason given`,
      );
      expect(error.failure).toMatchObject({ kind: 'rejected', permanent: true, source: 1, reason: 1 });
      expect(classifyAssociationFailure(error.failure)).toBe('permanent');
      expect(ms).toBeLessThan(1000);
    });

    it('names a rejection at once even when the peer keeps the connection open', async () => {
      const peer = await peerAnswering(associateRj(1, 1, 3));
      closers.push(() => peer.close());
      const { error, ms } = await failureOf(() =>
        sendStoredInstances(target(peer.port), instancesOf(study), { timeouts }),
      );
      expect(error.message).toBe(
        `RA7_PACS@127.0.0.1:${peer.port}: association rejected permanent by the service user: calling AE title not recognized`,
      );
      // Before, the library half-closed and waited: the failure came at the 10 s timeout.
      expect(ms).toBeLessThan(1000);
    });

    it('names a transient rejection by the service provider as transient', async () => {
      const peer = await peerAnswering(associateRj(2, 3, 2));
      closers.push(() => peer.close());
      const { error, ms } = await failureOf(() => findStudies(target(peer.port), { StudyInstanceUID: '1.2.3' }));
      expect(error.message).toBe(
        `RA7_PACS@127.0.0.1:${peer.port}: association rejected transient by the service provider (presentation): local limit exceeded`,
      );
      expect(classifyAssociationFailure(error.failure)).toBe('transient');
      expect(ms).toBeLessThan(1000);
    });

    it.each([
      ['the peer (service user)', abort(0, 0), 'association aborted by the peer (service user)'],
      [
        'the service provider, with its reason',
        abort(2, 6),
        'association aborted by the service provider: invalid PDU parameter value',
      ],
    ])('names an abort by %s at once', async (_, pdu, words) => {
      const peer = await peerAnswering(pdu);
      closers.push(() => peer.close());
      const { error, ms } = await failureOf(() =>
        sendStoredInstances(target(peer.port), instancesOf(study), { timeouts }),
      );
      expect(error.message).toBe(`RA7_PACS@127.0.0.1:${peer.port}: ${words}`);
      expect(error.failure.kind).toBe('aborted');
      expect(classifyAssociationFailure(error.failure)).toBe('transient');
      expect(ms).toBeLessThan(1000);
    });

    it('tells a closed port, a silent peer and an abort apart in C-ECHO', async () => {
      const closed = await freePort();
      const refused = await echo(target(closed), timeouts);
      expect(refused).toMatchObject({
        kind: 'refused',
        message: `RA7_PACS@127.0.0.1:${closed}: connection refused (nothing listening)`,
      });
      expect(refused.roundTripMs).toBeLessThan(1000);

      const silent = await peerAnswering(undefined);
      closers.push(() => silent.close());
      const timedOut = await echo(target(silent.port), { connectMs: 1500, associationMs: 1500, pduMs: 1500 });
      expect(timedOut.kind).toBe('timeout');
      expect(timedOut.message).toMatch(new RegExp(`^RA7_PACS@127\\.0\\.0\\.1:${silent.port}: timeout \\(`));
      expect(timedOut.roundTripMs).toBeGreaterThanOrEqual(1400);

      const aborting = await peerAnswering(abort(0, 0));
      closers.push(() => aborting.close());
      const aborted = await echo(target(aborting.port), timeouts);
      expect(aborted).toMatchObject({
        kind: 'aborted',
        message: `RA7_PACS@127.0.0.1:${aborting.port}: association aborted by the peer (service user)`,
      });
      expect(aborted.roundTripMs).toBeLessThan(1000);
    });
  });

  describe('the hub (delivery, fetch and its own DICOM port)', () => {
    let hub: TestHub;
    let recipient: Awaited<ReturnType<typeof peerAnswering>>;
    let source: Awaited<ReturnType<typeof peerAnswering>>;
    let auth: { Authorization: string };
    const warnings: string[] = [];
    const libraryLines: string[] = [];

    beforeAll(async () => {
      // RA7's PACS rejects every association (calling AE not recognized) and keeps its connection open.
      recipient = await peerAnswering(associateRj(1, 1, 3));
      source = await peerAnswering(associateRj(1, 1, 3));
      hub = await startTestHub({
        apps: ['receiver', 'router', 'forwarder', 'portal'],
        stableStudySeconds: 1,
        configure: (raw) => {
          raw.dicom = { idleTimeoutSeconds: 2 };
          raw.trusts.find((trust) => trust.code === 'RA7')!.nodes[0].port = recipient.port;
          raw.trusts
            .find((trust) => trust.code === 'RVJ')!
            .nodes.push({
              aeTitle: 'RVJ_QR',
              host: HOST,
              port: source.port,
              allowedIps: [HOST],
              send: false,
              receive: 'none',
              queryRetrieve: true,
            });
        },
      });
      auth = await hub.userSession('errors-ops', 'operator');
      // The hub's log lines, as they are written: Nest's (every `new Logger(...)`) and dcmjs-dimse's own.
      for (const level of ['warn', 'error'] as const) {
        const original = Logger.prototype[level];
        jest.spyOn(Logger.prototype, level).mockImplementation(function (this: Logger, message: unknown, ...rest) {
          warnings.push(String(message));
          return original.call(this, message, ...rest);
        });
      }
      routeDimseLog((_, message) => libraryLines.push(message));
    });

    afterAll(async () => {
      jest.restoreAllMocks();
      await hub?.destroy();
      await recipient?.close();
      await source?.close();
    });

    it("records a recipient's rejection on the transfer at once, with the peer, and fails it for good", async () => {
      const sent = await makeStudy(path.join(work, 'pushed'), {
        patientId: 'AER0002',
        patientName: 'TEST^REJECTED',
        series: [{ kind: 'mr-small', count: 2 }],
      });
      await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', sent.files);
      const failed = await waitFor('the rejected transfer', async () => {
        const [row] = (await hub.dataSource.query(
          `SELECT t.state, t.attempts, t.last_error AS lastError FROM transfers t
             JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid = ?`,
          [sent.studyInstanceUid],
        )) as Array<{ state: string; attempts: number; lastError: string | null }>;
        return row?.lastError ? { ...row, seenAt: Date.now() } : undefined;
      });
      expect(failed).toMatchObject({
        state: 'failed',
        attempts: 1,
        lastError: `RA7_PACS@127.0.0.1:${recipient.port}: association rejected permanent by the service user: calling AE title not recognized`,
      });
      // From the hub's connection to the error on the transfer (polled every 100 ms), well under any timeout.
      expect(failed.seenAt - recipient.connectedAt[0]!).toBeLessThan(1500);
    });

    it('fails a fetch whose source rejects the association, with the rejection, not left querying', async () => {
      const created = await request(hub.http!)
        .post('/api/fetches')
        .set(auth)
        .send({ from: 'RVJ', to: 'RA7', folder: 'emergency', studyInstanceUid: '1.2.826.0.1.3680043.9.7433.99.1' })
        .expect(201);
      const done = await waitFor('the fetch to end', async () => {
        const [row] = (await hub.dataSource.query(
          `SELECT state, last_error AS lastError FROM fetch_requests WHERE id = ?`,
          [created.body.id],
        )) as Array<{ state: string; lastError: string | null }>;
        return row && row.state !== 'queued' && row.state !== 'querying' ? { ...row, seenAt: Date.now() } : undefined;
      });
      expect(done).toMatchObject({
        state: 'failed',
        lastError: `RVJ_QR@127.0.0.1:${source.port}: association rejected permanent by the service user: calling AE title not recognized`,
      });
      expect(done.seenAt - source.connectedAt[0]!).toBeLessThan(1500);
    });

    it('puts a fetch whose source aborts back in the queue at once, with the abort as its last error', async () => {
      source.answerWith(abort(0, 0));
      const created = await request(hub.http!)
        .post('/api/fetches')
        .set(auth)
        .send({ from: 'RVJ', to: 'RA7', folder: 'emergency', studyInstanceUid: '1.2.826.0.1.3680043.9.7433.99.2' })
        .expect(201);
      const connections = source.connectedAt.length;
      const retrying = await waitFor('the aborted attempt recorded', async () => {
        const [row] = (await hub.dataSource.query(
          `SELECT state, last_error AS lastError FROM fetch_requests WHERE id = ?`,
          [created.body.id],
        )) as Array<{ state: string; lastError: string | null }>;
        return row?.lastError ? { ...row, seenAt: Date.now() } : undefined;
      });
      // Transient: queued for another attempt (not failed, not left querying), and said as what it was.
      expect(retrying).toMatchObject({
        state: 'queued',
        lastError: `RVJ_QR@127.0.0.1:${source.port}: association aborted by the peer (service user)`,
      });
      expect(retrying.seenAt - source.connectedAt[connections]!).toBeLessThan(1500);
      // Nothing pending in the shared database once the spec ends.
      await hub.dataSource.query(`UPDATE fetch_requests SET state = 'failed' WHERE id = ?`, [created.body.id]);
    });

    it('closes a connection whose peer aborted at once, audits it once, and logs no timeout after it', async () => {
      const peer = await RawPeer.connect(hub.port);
      try {
        peer.write(
          associateRq({
            calling: 'RVJ_PACS',
            called: 'RA7_EMER',
            contexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }],
          }),
        );
        expect((await peer.nextPdu(1))?.[0]).toBe(0x02); // A-ASSOCIATE-AC
        const before = warnings.length;
        const linesBefore = libraryLines.length;
        peer.write(abortPdu());
        // The acceptor closes the transport on an A-ABORT (PS3.8 AA-3); the peer need not.
        expect(await peer.waitClosed(1000)).toBe(true);
        const audited = await waitFor('the abort audited', async () => {
          const rows = (await hub.dataSource.query(
            `SELECT JSON_UNQUOTE(JSON_EXTRACT(detail, '$.reason')) AS reason FROM audit_events
              WHERE event = 'association-aborted' AND actor_ae_title = 'RVJ_PACS'`,
          )) as Array<{ reason: string }>;
          return rows.length > 0 ? rows : undefined;
        });
        expect(audited).toEqual([{ reason: 'A-ABORT' }]);
        // Past the idle timeout (2 s) and the library's once-a-second check: nothing more about it.
        await sleep(3500);
        expect(warnings.slice(before).filter((line) => /timeout/i.test(line))).toEqual([]);
        expect(libraryLines.slice(linesBefore).filter((line) => /timeout/i.test(line))).toEqual([]);
        const violations = (await hub.dataSource.query(
          `SELECT COUNT(*) AS n FROM audit_events WHERE event = 'association-aborted' AND actor_ae_title = 'RVJ_PACS'`,
        )) as Array<{ n: string | number }>;
        expect(Number(violations[0]!.n)).toBe(1);
      } finally {
        peer.destroy();
      }
    });

    it('refuses a calling AE that differs only in case from a configured node, saying so in the audit', async () => {
      const sent = await makeStudy(path.join(work, 'lower'), {
        patientId: 'AER0003',
        patientName: 'TEST^LOWER',
        series: [{ kind: 'mr-small', count: 1 }],
      });
      const result = await storescu(HOST, hub.port, 'rvj_pacs', 'RA7_EMER', sent.files);
      expect(result.association).toBe('rejected');
      expect(result.rejection).toMatchObject({ permanent: true, reason: 'Calling AE Title Not Recognized' });
      const [event] = (await hub.dataSource.query(
        `SELECT JSON_UNQUOTE(JSON_EXTRACT(detail, '$.reason')) AS reason,
                JSON_EXTRACT(detail, '$.rejectReasonCode') AS code FROM audit_events
          WHERE event = 'association-rejected' AND actor_ae_title = 'rvj_pacs'`,
      )) as Array<{ reason: string; code: number }>;
      expect(event).toEqual({
        reason:
          'calling AE not recognized: "rvj_pacs" differs only in case from the configured "RVJ_PACS" (AE titles are case-sensitive)',
        code: 3,
      });
    });
  });

  describe('pull: a C-MOVE destination that rejects the hub for good', () => {
    let hub: TestHub;
    let destination: Awaited<ReturnType<typeof peerAnswering>>;

    afterAll(async () => {
      await hub?.destroy();
      await destination?.close();
    });

    it('is asked once, not once per study, and the C-MOVE ends with its rejection', async () => {
      destination = await peerAnswering(associateRj(1, 1, 3));
      hub = await startTestHub({
        apps: ['receiver', 'router'],
        stableStudySeconds: 1,
        configure: (raw) => {
          Object.assign(raw.trusts.find((trust) => trust.code === 'RA7')!.nodes[0], {
            receive: 'pull',
            port: destination.port,
          });
        },
      });
      const studies: string[] = [];
      for (const name of ['first', 'second']) {
        const pulled = await makeStudy(path.join(work, `pull-${name}`), {
          patientId: 'AER0100',
          patientName: 'TEST^PULLED',
          series: [{ kind: 'mr-small', count: 2 }],
        });
        expect((await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', pulled.files)).code).toBe(0);
        studies.push(pulled.studyInstanceUid);
      }
      await waitFor('both studies awaiting pull', async () => {
        const rows = (await hub.dataSource.query(
          `SELECT t.state FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid IN (?, ?)`,
          studies,
        )) as Array<{ state: string }>;
        return rows.length === 2 && rows.every((row) => row.state === 'awaiting-pull') ? rows : undefined;
      });
      const moved = await movescu(HOST, hub.port, 'RA7_PACS', 'IEP_HUB', 'RA7_PACS', 'PATIENT', ['PatientID=AER0100'], {
        patientRoot: true,
      });
      // One rejected association: the second study's would be rejected the same way (permanent).
      expect(destination.connectedAt).toHaveLength(1);
      expect(moved.finalStatus).toBe(0xa702);
      expect(moved.failed).toBe(4);
      // Its error comment names the peer and the rejection (cut at 64 characters, an LO).
      expect(moved.stderr + moved.stdout).toContain(
        `[RA7_PACS@127.0.0.1:${destination.port}: association rejected permanent by the]`,
      );
    });
  });
});
