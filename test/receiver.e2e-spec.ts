import { splitPart10 } from '@hub/dicom';
import { InstanceIngestService } from '@hub/ingest';
import { StorageService } from '@hub/storage';
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { echoscu, storescu } from './support/dcmtk';
import { makeBigInstances, makeHostile, makeStudy } from './support/dicom-factory';
import { EXPLICIT_LE, RawPeer, associateRq, cStoreRqCommand, pDataTf, responseStatus } from './support/raw-pdu';
import { TcpProxy } from './support/tcp-proxy';
import { TestHub, specDatabaseUrl, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';

async function instanceRows(hub: TestHub, studyInstanceUid: string) {
  return (await hub.dataSource.query(
    `SELECT i.sop_instance_uid, i.storage_path, i.transfer_syntax_uid FROM instances i
       JOIN studies s ON s.id = i.study_id WHERE s.study_instance_uid = ?`,
    [studyInstanceUid],
  )) as Array<{ sop_instance_uid: string; storage_path: string; transfer_syntax_uid: string }>;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe('receiver (DCMTK peers, real MariaDB and Redis)', () => {
  let hub: TestHub;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-'));
    hub = await startTestHub({ apps: ['receiver', 'router'], stableStudySeconds: 2 });
  });

  afterAll(async () => {
    await hub?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  async function auditEvents(event: string, actorAeTitle: string) {
    return (await hub.dataSource.query(
      'SELECT event, outcome, actor_ae_title, actor_address, detail FROM audit_events WHERE event = ? AND actor_ae_title = ? ORDER BY id',
      [event, actorAeTitle],
    )) as Array<{ event: string; outcome: number; actor_ae_title: string; actor_address: string; detail: string }>;
  }

  describe('association policy', () => {
    it('answers C-ECHO from a known sender calling a trust inbound AE and audits the association', async () => {
      const result = await echoscu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER');
      expect(result.ok).toBe(true);
      expect(result.association).toBe('accepted');
      const events = await auditEvents('association-accepted', 'RVJ_PACS');
      expect(events.length).toBeGreaterThan(0);
      expect(events.at(-1)?.actor_address).toBe('127.0.0.1');
    });

    it('answers C-ECHO on the hub AE title', async () => {
      expect((await echoscu(HOST, hub.port, 'RVJ_PACS', 'IEP_HUB')).ok).toBe(true);
    });

    it.each([
      ['an unknown calling AE', 'NOBODY', 'RA7_EMER', 'Calling AE Title Not Recognized', 'calling AE not recognized'],
      [
        'a known AE from an address it is not allowed',
        'RVJ_FAR',
        'RA7_EMER',
        'Calling AE Title Not Recognized',
        'calling AE not allowed from 127.0.0.1',
      ],
      [
        'a node that may not send',
        'RVJ_VIEW',
        'RA7_EMER',
        'Calling AE Title Not Recognized',
        'calling AE is not allowed to send',
      ],
      ['an unknown called AE', 'RVJ_PACS', 'NOWHERE', 'Called AE Title Not Recognized', 'called AE not recognized'],
    ])(
      'rejects %s with the standard reason, and audits it with the peer address',
      async (_, calling, called, reason, audited) => {
        const result = await echoscu(HOST, hub.port, calling, called);
        expect(result.ok).toBe(false);
        expect(result.association).toBe('rejected');
        expect(result.rejection).toMatchObject({ permanent: true, source: 'Service User', reason });
        const events = await auditEvents('association-rejected', calling);
        const detail = events.map((event) =>
          typeof event.detail === 'string' ? JSON.parse(event.detail) : event.detail,
        );
        expect(detail).toContainEqual(expect.objectContaining({ calledAeTitle: called, reason: audited }));
        expect(events.at(-1)?.actor_address).toBe('127.0.0.1');
      },
    );
  });

  describe('C-STORE', () => {
    it('stores a multi-series study byte for byte, one row per instance, and completes it with exactly one job', async () => {
      const study = await makeStudy(path.join(work, 'study'), {
        patientId: 'E2E0001',
        patientName: 'TEST^MULTI',
        series: [
          { kind: 'ct', count: 20 },
          { kind: 'mr-small', count: 70 },
          { kind: 'ct', count: 8, transferSyntax: 'jpeg-lossless' },
          { kind: 'sr', count: 1 },
          { kind: 'pdf', count: 1 },
        ],
      });
      expect(study.files.length).toBeGreaterThanOrEqual(100);

      const sent = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files, ['-xs']);
      expect(sent.association).toBe('accepted');
      expect(sent.stores).toHaveLength(study.files.length);
      expect(sent.stores.every((store) => store.status === 0)).toBe(true);

      const rows = await instanceRows(hub, study.studyInstanceUid);
      expect(rows).toHaveLength(study.files.length);
      const bySop = new Map(rows.map((row) => [row.sop_instance_uid, row]));
      for (const series of study.series) {
        for (const instance of series.instances) {
          const row = bySop.get(instance.sopInstanceUid);
          expect(row).toBeDefined();
          expect(row!.transfer_syntax_uid).toBe(instance.transferSyntaxUid);
          const stored = splitPart10(readFileSync(path.join(hub.storageDir, row!.storage_path)));
          const original = splitPart10(readFileSync(instance.path));
          expect(stored.transferSyntaxUid).toBe(original.transferSyntaxUid);
          expect(stored.dataset.equals(original.dataset)).toBe(true);
        }
      }

      const [studyRow] = await waitFor('the study to complete', async () => {
        const found = (await hub.dataSource.query(
          `SELECT id, state, instance_count, completed_at FROM studies WHERE study_instance_uid = ?`,
          [study.studyInstanceUid],
        )) as Array<{ id: string; state: string; instance_count: number; completed_at: Date | null }>;
        return found[0]?.completed_at ? found : undefined;
      });
      expect(studyRow.instance_count).toBe(study.files.length);
      const jobs = await hub.studyQueue().getJobs(['completed', 'waiting', 'delayed', 'active', 'failed']);
      const completions = jobs.filter((job) => job.name === 'CompleteStudy' && job.data.studyId === studyRow.id);
      expect(completions).toHaveLength(1);

      const stored = await hub.dataSource.query(
        `SELECT detail FROM audit_events WHERE event = 'instances-stored' AND study_instance_uid = ?`,
        [study.studyInstanceUid],
      );
      // Audited every second while the association ran: each instance named once, in one event or more.
      const details = (stored as Array<{ detail: unknown }>).map(
        (row) =>
          (typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail) as {
            stored: number;
            refused: number;
            sopInstanceUids: string[];
          },
      );
      expect(details.reduce((sum, detail) => sum + detail.stored, 0)).toBe(study.files.length);
      expect(details.every((detail) => detail.refused === 0)).toBe(true);
      const named = details.flatMap((detail) => detail.sopInstanceUids);
      expect(new Set(named).size).toBe(study.files.length);
      expect(named).toHaveLength(study.files.length);
    });

    it('reads the identifiers of a large instance from its file when they come after its first 64 KiB', async () => {
      const study = await makeStudy(path.join(work, 'long-header'), {
        patientId: 'E2E0007',
        patientName: 'TEST^LONGHEADER',
        series: [{ kind: 'ct', count: 1 }],
      });
      // 300 KB of private data in group 0009 puts Study and Series Instance UID (group 0020) well past it.
      const blob = path.join(work, 'long-header', 'private.bin');
      writeFileSync(blob, Buffer.alloc(300_000, 0x5a));
      execFileSync('dcmodify', ['-nb', '-i', '(0009,0010)=HUB TEST', '-if', `(0009,1001)=${blob}`, study.files[0]]);
      const sent = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files);
      expect(sent.stores.map((store) => store.status)).toEqual([0]);
      const [row] = await instanceRows(hub, study.studyInstanceUid);
      expect(row.sop_instance_uid).toBe(study.series[0].instances[0].sopInstanceUid);
      const stored = splitPart10(readFileSync(path.join(hub.storageDir, row.storage_path))).dataset;
      expect(stored.equals(splitPart10(readFileSync(study.files[0])).dataset)).toBe(true);
    });

    it('is idempotent when an instance is sent again: one file, one row, Success', async () => {
      const study = await makeStudy(path.join(work, 'resend'), {
        patientId: 'E2E0002',
        patientName: 'TEST^RESEND',
        series: [{ kind: 'mr-small', count: 3 }],
      });
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const sent = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files);
        expect(sent.stores.map((store) => store.status)).toEqual([0, 0, 0]);
      }
      const rows = await instanceRows(hub, study.studyInstanceUid);
      expect(rows).toHaveLength(3);
      const studyDir = path.dirname(path.join(hub.storageDir, rows[0].storage_path));
      expect(filesUnder(studyDir)).toHaveLength(3);
    });

    it('reconciliation removes the rows whose file is missing or short, and audits them', async () => {
      const study = await makeStudy(path.join(work, 'reconcile'), {
        patientId: 'E2E0006',
        patientName: 'TEST^RECONCILE',
        series: [{ kind: 'mr-small', count: 3 }],
      });
      const sent = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files);
      expect(sent.stores.map((store) => store.status)).toEqual([0, 0, 0]);
      const rows = await instanceRows(hub, study.studyInstanceUid);
      // What a crash before the flushes finished can leave: a name without its bytes, or no name at all.
      const [short, gone, kept] = rows;
      const shortPath = path.join(hub.storageDir, short.storage_path);
      writeFileSync(shortPath, readFileSync(shortPath).subarray(0, 200));
      rmSync(path.join(hub.storageDir, gone.storage_path));

      const removed = await hub.app
        .get(InstanceIngestService)
        .reconcileMissingFiles(new Date(Date.now() - 3600_000), new Date(Date.now() + 1000));
      expect(removed).toBe(2);
      expect((await instanceRows(hub, study.studyInstanceUid)).map((row) => row.sop_instance_uid)).toEqual([
        kept.sop_instance_uid,
      ]);
      const [lost] = (await hub.dataSource.query(
        `SELECT detail FROM audit_events WHERE event = 'instances-lost' ORDER BY id DESC LIMIT 1`,
      )) as Array<{ detail: unknown }>;
      const detail = (typeof lost.detail === 'string' ? JSON.parse(lost.detail) : lost.detail) as {
        storagePaths: string[];
      };
      expect(detail.storagePaths.sort()).toEqual([short.storage_path, gone.storage_path].sort());
    });

    it.each([
      ['a hostile SOP Instance UID', 'bad-uid' as const, 0xa900],
      ['a data set without StudyInstanceUID', 'no-study-uid' as const, 0xa900],
    ])('refuses %s with a failure status, leaving no file and no row', async (_, kind, status) => {
      const hostile = makeHostile(path.join(work, `hostile-${kind}`), kind);
      const before = filesUnder(hub.storageDir).length;
      const sent = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', [hostile.path], hostile.storescuArgs);
      expect(sent.stores).toHaveLength(1);
      expect(sent.stores[0].status).toBe(status);
      expect(filesUnder(hub.storageDir)).toHaveLength(before);
      const rows = (await hub.dataSource.query('SELECT id FROM instances WHERE sop_instance_uid = ?', [
        hostile.sopInstanceUid.slice(0, 64),
      ])) as unknown[];
      expect(rows).toHaveLength(0);
      const refused = await auditEvents('instance-refused', 'RVJ_PACS');
      expect(refused.length).toBeGreaterThan(0);
    });

    // storescu will not send a file it cannot parse (a truncated file fails in DCMTK's reader first),
    // so the truncated data set a hub really meets is one cut off on the wire: the sender dies mid-instance.
    it('discards a data set cut off mid-stream: no file, no temp file, no row, an audit event', async () => {
      // 64 MiB is 1024 PDVs of 64 KiB: killed after 200, storescu cannot have flushed the rest into the socket
      // buffers before SIGKILL lands (with 16 MiB, 256 PDVs, it sometimes had, and the whole instance arrived).
      const big = makeBigInstances(path.join(work, 'cut'), 1, 64);
      const sent = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', big.files, [], {
        killMidTransfer: { afterPdvs: 200 },
      });
      expect(sent.stores[0]?.status).toBeUndefined();
      await waitFor('the aborted association to be audited', async () => {
        const events = await auditEvents('association-aborted', 'RVJ_PACS');
        return events.length > 0 ? events : undefined;
      });
      expect(filesUnder(hub.storageDir).filter((file) => file.includes(big.instances[0].sopInstanceUid))).toHaveLength(
        0,
      );
      expect(filesUnder(path.join(hub.storageDir, 'tmp'))).toHaveLength(0);
      expect(await instanceRows(hub, big.studyInstanceUid)).toHaveLength(0);
      expect((await echoscu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER')).ok).toBe(true);
    });
  });
});

describe('receiver with MySQL unreachable', () => {
  it('answers 0xA700, never Success, and stores the same instance once MySQL is back', async () => {
    const proxy = new TcpProxy('127.0.0.1', 3306);
    await proxy.start();
    const real = new URL(specDatabaseUrl());
    real.host = `127.0.0.1:${proxy.port}`;
    const hub = await startTestHub({ apps: ['receiver'], databaseUrl: real.toString() });
    const work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-db-'));
    try {
      const study = await makeStudy(work, {
        patientId: 'E2E0003',
        patientName: 'TEST^DBDOWN',
        series: [{ kind: 'mr-small', count: 2 }],
      });
      // The association policy has read the directory once; then the database goes away.
      expect((await echoscu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER')).ok).toBe(true);
      await proxy.cut();
      const refused = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files, ['-nh']);
      expect(refused.stores.map((store) => store.status)).toEqual([0xa700, 0xa700]);
      expect(filesUnder(hub.storageDir)).toHaveLength(0);

      await proxy.restore();
      const accepted = await waitFor('MySQL to be usable again', async () => {
        const result = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files, ['-nh']);
        return result.stores.every((store) => store.status === 0) ? result : undefined;
      });
      expect(accepted.stores).toHaveLength(2);
      expect(filesUnder(path.join(hub.storageDir, 'studies'))).toHaveLength(2);
    } finally {
      await hub.destroy();
      await proxy.cut();
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('study completion across a restart', () => {
  it('completes a study received while no router ran, from what MySQL knows', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-restart-'));
    const receiver = await startTestHub({ apps: ['receiver'], stableStudySeconds: 1 });
    try {
      const study = await makeStudy(work, {
        patientId: 'E2E0004',
        patientName: 'TEST^RESTART',
        series: [{ kind: 'mr-small', count: 3 }],
      });
      const sent = await storescu(HOST, receiver.port, 'RVJ_PACS', 'RA7_ELEC', study.files);
      expect(sent.stores.every((store) => store.status === 0)).toBe(true);
      await receiver.stop();
      // Redis loses the pending job (as if flushed); only MySQL remembers the study is receiving.
      const queue = receiver.studyQueue();
      await queue.obliterate({ force: true });

      const router = await startTestHub({
        apps: ['router'],
        stableStudySeconds: 1,
        storageDir: receiver.storageDir,
        queuePrefix: receiver.queuePrefix,
      });
      try {
        const state = await waitFor('the sweep to complete the study', async () => {
          const [row] = (await router.dataSource.query(
            'SELECT state, completed_at FROM studies WHERE study_instance_uid = ?',
            [study.studyInstanceUid],
          )) as Array<{ state: string; completed_at: Date | null }>;
          return row?.completed_at ? row.state : undefined;
        });
        // Completed, then routed at once: the test configuration has an agreement RVJ -> RA7 elective.
        expect(['complete', 'routed']).toContain(state);
      } finally {
        await router.destroy();
      }
    } finally {
      await receiver.destroy();
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('receiver against a hostile peer', () => {
  // No DCMTK tool sends a malformed PDU header, so this one peer is a raw socket.
  it('aborts a connection announcing an oversize PDU, audits it, and keeps serving', async () => {
    const hub = await startTestHub({ apps: ['receiver'] });
    try {
      const received: Buffer[] = [];
      const closed = await new Promise<boolean>((resolve) => {
        const socket = net.connect(hub.port, HOST, () => {
          const header = Buffer.alloc(6);
          header.writeUInt8(0x01, 0); // A-ASSOCIATE-RQ claiming 1 GiB
          header.writeUInt32BE(1 << 30, 2);
          socket.write(Buffer.concat([header, Buffer.alloc(1024)]));
        });
        socket.on('data', (chunk: Buffer) => received.push(chunk));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(true));
        setTimeout(() => resolve(false), 10000).unref();
      });
      expect(closed).toBe(true);
      // A-ABORT, source 2 (service provider), reason 6 (invalid PDU parameter value).
      expect(Buffer.concat(received).subarray(0, 10).toString('hex')).toBe('07000000000400000206');
      const events = await waitFor('the abort to be audited', async () => {
        const rows = (await hub.dataSource.query(
          `SELECT detail FROM audit_events WHERE event = 'association-aborted' AND actor_address = '127.0.0.1'
             AND JSON_EXTRACT(detail, '$.reason') LIKE '%exceeds the limit%'`,
        )) as unknown[];
        return rows.length > 0 ? rows : undefined;
      });
      expect(events.length).toBeGreaterThan(0);
      expect((await echoscu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER')).ok).toBe(true);
    } finally {
      await hub.destroy();
    }
  });
});

describe('receiver with its storage unavailable', () => {
  it('answers 0xA700 for small and streamed instances, records nothing, and stores once storage is back', async () => {
    const hub = await startTestHub({ apps: ['receiver'] });
    const work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-disk-'));
    try {
      const small = await makeStudy(work, {
        patientId: 'E2E0005',
        patientName: 'TEST^NODISK',
        series: [{ kind: 'mr-small', count: 2 }],
      });
      const big = makeBigInstances(path.join(work, 'big'), 1, 2);
      // A file where the study directories and the temp directory must be: every write fails.
      const studies = path.join(hub.storageDir, 'studies');
      const temp = path.join(hub.storageDir, 'tmp');
      rmSync(temp, { recursive: true, force: true });
      writeFileSync(studies, 'not a directory');
      writeFileSync(temp, 'not a directory');

      const refused = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', [...small.files, ...big.files], ['-nh']);
      expect(refused.stores.map((store) => store.status)).toEqual([0xa700, 0xa700, 0xa700]);
      expect(await instanceRows(hub, small.studyInstanceUid)).toHaveLength(0);
      expect(await instanceRows(hub, big.studyInstanceUid)).toHaveLength(0);

      rmSync(studies);
      rmSync(temp);
      mkdirSync(temp);
      const stored = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', [...small.files, ...big.files], ['-nh']);
      expect(stored.stores.map((store) => store.status)).toEqual([0, 0, 0]);
      expect(await instanceRows(hub, small.studyInstanceUid)).toHaveLength(2);
      expect(await instanceRows(hub, big.studyInstanceUid)).toHaveLength(1);
    } finally {
      await hub.destroy();
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('receiver sharing its storage folder with other processes', () => {
  /**
   * Starts a separate Node process that prepares the same storage folder, as any app does at start-up,
   * leaves an unfinished temp file of its own, and dies by SIGKILL. Resolves with that file's path.
   */
  function anotherProcessStartsAndDies(storageDir: string): Promise<string> {
    const script = `
      const { StorageService } = require('@hub/storage');
      const storage = new StorageService({ hub: { storageDir: process.env.STORAGE_DIR } });
      storage.prepare().then(() => {
        const file = require('path').join(storage.tempDir, 'left-by-a-crash.part');
        require('fs').writeFileSync(file, 'unfinished');
        process.stdout.write(file, () => process.kill(process.pid, 'SIGKILL'));
      });`;
    return new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', '-e', script],
        { cwd: path.join(__dirname, '..'), env: { ...process.env, STORAGE_DIR: storageDir } },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (_, signal) => (signal === 'SIGKILL' ? resolve(out.trim()) : reject(new Error(out))));
    });
  }

  it("keeps an instance it is receiving when another process starts, and clears a dead process's temp files", async () => {
    const hub = await startTestHub({ apps: ['receiver'] });
    const work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-shared-'));
    const peer = await RawPeer.connect(hub.port);
    try {
      const big = makeBigInstances(path.join(work, 'big'), 1, 4);
      const instance = big.instances[0];
      const dataset = splitPart10(readFileSync(instance.path)).dataset;
      peer.write(
        associateRq({
          calling: 'RVJ_PACS',
          called: 'RA7_EMER',
          contexts: [{ id: 1, abstractSyntax: instance.sopClassUid, transferSyntaxes: [EXPLICIT_LE] }],
        }),
      );
      expect((await peer.nextPdu(1))?.[0]).toBe(0x02);
      peer.write(
        pDataTf([
          {
            contextId: 1,
            command: true,
            last: true,
            value: cStoreRqCommand({
              messageId: 1,
              sopClassUid: instance.sopClassUid,
              sopInstanceUid: instance.sopInstanceUid,
            }),
          },
        ]),
      );
      // Half the data set: past the memory limit, so it is being written to the receiver's temp file.
      const half = Math.floor(dataset.length / 2);
      for (let offset = 0; offset < half; offset += 60000) {
        const end = Math.min(offset + 60000, half);
        peer.write(pDataTf([{ contextId: 1, command: false, last: false, value: dataset.subarray(offset, end) }]));
      }
      const receiving = await waitFor('the instance to be spilling to a temp file', () =>
        Promise.resolve(filesUnder(path.join(hub.storageDir, 'tmp')).find((file) => statSync(file).size > half / 2)),
      );

      const leftByCrash = await anotherProcessStartsAndDies(hub.storageDir);
      expect(existsSync(receiving)).toBe(true);
      expect(existsSync(leftByCrash)).toBe(true);

      for (let offset = half; offset < dataset.length; offset += 60000) {
        const end = Math.min(offset + 60000, dataset.length);
        const last = end === dataset.length;
        peer.write(pDataTf([{ contextId: 1, command: false, last, value: dataset.subarray(offset, end) }]));
      }
      expect(responseStatus((await peer.nextPdu(2))!)).toBe(0x0000);
      expect(await instanceRows(hub, big.studyInstanceUid)).toHaveLength(1);

      // The crashed process's folder goes at the next sweep (its pid is gone on this boot); nothing else does.
      const removed = await hub.app.get(StorageService).sweepTemp();
      expect(removed).toEqual([path.basename(path.dirname(leftByCrash))]);
      expect(existsSync(leftByCrash)).toBe(false);
    } finally {
      peer.destroy();
      await hub.destroy();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
