import { splitPart10 } from '@hub/dicom';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StorescpHandle, freePort, runDcmtk, startStorescp, storescu } from './support/dcmtk';
import { GeneratedStudy, makeStudy } from './support/dicom-factory';
import { addTrustRba, TestHub, ra7PushNodeAt, startTestHub } from './support/test-hub';
import { receivedDatasets } from './support/storescp-output';
import { TcpProxy } from './support/tcp-proxy';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';

function sentInstances(study: GeneratedStudy) {
  return study.series.flatMap((series) => series.instances);
}

/** dcmdump of a file's data set, each value once, with what depends only on the encoding taken out. */
async function datasetDump(file: string): Promise<string[]> {
  const dump = await runDcmtk('dcmdump', ['-q', '+L', '-M', file]);
  return dump.stdout
    .split('\n')
    .filter((line) => /^\s*\(/.test(line))
    .filter((line) => !/^\s*\((0002,[0-9a-f]{4}|[0-9a-f]{4},0000)\)/i.test(line)) // meta header, group lengths
    .filter((line) => !/Delimitation/.test(line))
    .map((line) => (/ (SQ|na) /.test(line) ? line.replace(/\(.*(length|Item).*$/i, '').trimEnd() : line));
}

describe('push delivery to the recipient PACS (storescp as the peer)', () => {
  let work: string;
  let hub: TestHub | undefined;
  let scp: StorescpHandle | undefined;

  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-delivery-'));
  });

  afterEach(async () => {
    await hub?.destroy();
    await scp?.stop();
    hub = undefined;
    scp = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  async function transferOf(studyInstanceUid: string) {
    const [row] = (await hub!.dataSource.query(
      `SELECT t.id, t.state, t.attempts, t.last_error AS lastError FROM transfers t
         JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid = ?`,
      [studyInstanceUid],
    )) as Array<{ id: string; state: string; attempts: number; lastError: string | null }>;
    return row;
  }

  /** A recipient storescp (with these options) as RA7's push node, and a hub receiving, routing and delivering to it. */
  async function hubDeliveringTo(storescpArgs: string[], stableStudySeconds = 1) {
    const outputDir = mkdtempSync(path.join(work, 'pacs-'));
    const recipient = await startStorescp({ aeTitle: 'RA7_PACS', outputDir, extraArgs: storescpArgs });
    scp = recipient;
    const started = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds,
      configure: ra7PushNodeAt(recipient.port),
    });
    hub = started;
    return { outputDir, started };
  }

  it('delivers a routed elective study over one association, byte for byte, the stored original untouched', async () => {
    const outputDir = mkdtempSync(path.join(work, 'pacs-'));
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir, extraArgs: ['+xa'] });
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds: 1,
      configure: ra7PushNodeAt(scp.port),
    });
    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'DLV0001',
      patientName: 'TEST^DELIVERY',
      series: [
        { kind: 'ct', count: 2 },
        { kind: 'mr-small', count: 10 },
        { kind: 'ct', count: 2, transferSyntax: 'jpeg-lossless' },
        { kind: 'sr', count: 1 },
      ],
    });
    // Elective: delivered once complete, the whole study in one association (emergency goes in rounds).
    const sent = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_ELEC', study.files, ['-xs']);
    expect(sent.stores.every((store) => store.status === 0)).toBe(true);

    const transfer = await waitFor('delivery', async () => {
      const row = await transferOf(study.studyInstanceUid);
      return row?.state === 'delivered' ? row : undefined;
    });
    expect(transfer.attempts).toBe(1);

    const received = receivedDatasets(outputDir);
    expect(received.size).toBe(study.files.length);
    for (const instance of sentInstances(study)) {
      expect(received.get(instance.sopInstanceUid)?.equals(splitPart10(readFileSync(instance.path)).dataset)).toBe(
        true,
      );
    }
    const stored = (await hub.dataSource.query(
      `SELECT i.storage_path AS storagePath, ti.state, ti.last_status AS lastStatus FROM transfer_instances ti
         JOIN instances i ON i.id = ti.instance_id WHERE ti.transfer_id = ?`,
      [transfer.id],
    )) as Array<{ storagePath: string; state: string; lastStatus: number }>;
    expect(stored.every((row) => row.state === 'delivered' && row.lastStatus === 0)).toBe(true);
    const originals = new Set(
      sentInstances(study).map((instance) => splitPart10(readFileSync(instance.path)).dataset.toString('base64')),
    );
    for (const row of stored) {
      const kept = splitPart10(readFileSync(path.join(hub.storageDir, row.storagePath))).dataset.toString('base64');
      expect(originals.has(kept)).toBe(true);
    }
    // The attempt is audited just after the transfer's state changes.
    const audited = await waitFor('the delivery audit', async () => {
      const rows = (await hub!.dataSource.query(
        `SELECT outcome, destination_trust AS destination FROM audit_events
          WHERE event = 'delivery-attempted' AND JSON_EXTRACT(detail, '$.transferId') = ?`,
        [transfer.id],
      )) as Array<{ outcome: number; destination: string }>;
      return rows.length > 0 ? rows : undefined;
    });
    expect(audited).toEqual([{ outcome: 0, destination: 'RA7' }]);
  });

  it("applies the recipient's coercion to what it sends, never to the stored original", async () => {
    const outputDir = mkdtempSync(path.join(work, 'pacs-'));
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir });
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds: 1,
      configure: (raw) => {
        ra7PushNodeAt(scp!.port)(raw);
        raw.trusts.find((trust) => trust.code === 'RA7')!.coercion = [
          { op: 'set', tag: 'IssuerOfPatientID', value: '{sender.patientIdIssuer}' },
          { op: 'prefix', tag: 'AccessionNumber', value: '{sender.code}-' },
          { op: 'set', tag: 'PatientID', value: '1234567890', check: 'nhs-number' },
        ];
      },
    });
    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'DLV0004',
      patientName: 'TEST^MORPH',
      accessionNumber: 'ACC77',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files);
    const transfer = await waitFor('delivery', async () => {
      const row = await transferOf(study.studyInstanceUid);
      return row?.state === 'delivered' ? row : undefined;
    });
    for (const name of readdirSync(outputDir)) {
      const dump = execFileSync('dcmdump', [path.join(outputDir, name)]).toString();
      expect(dump).toMatch(/\(0010,0021\) LO \[RVJ ?\]/);
      expect(dump).toMatch(/\(0008,0050\) SH \[RVJ-ACC77 ?\]/);
      // 1234567890 fails the modulus 11 check: the original PatientID goes, and the transfer is flagged.
      expect(dump).toMatch(/\(0010,0020\) LO \[DLV0004 ?\]/);
    }
    const [flagged] = (await hub.dataSource.query('SELECT flag FROM transfers WHERE id = ?', [transfer.id])) as Array<{
      flag: string;
    }>;
    expect(flagged.flag).toContain('PatientID: not a valid NHS number');
    const stored = (await hub.dataSource.query(
      `SELECT i.storage_path AS storagePath FROM instances i JOIN studies s ON s.id = i.study_id
        WHERE s.study_instance_uid = ?`,
      [study.studyInstanceUid],
    )) as Array<{ storagePath: string }>;
    const originals = new Set(study.files.map((file) => splitPart10(readFileSync(file)).dataset.toString('base64')));
    for (const row of stored) {
      const kept = splitPart10(readFileSync(path.join(hub.storageDir, row.storagePath))).dataset.toString('base64');
      expect(originals.has(kept)).toBe(true);
    }
  });

  it('keeps retrying while the recipient is down, and delivers once it is back', async () => {
    const port = await freePort();
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds: 1,
      configure: ra7PushNodeAt(port),
    });
    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'DLV0002',
      patientName: 'TEST^DOWN',
      series: [{ kind: 'mr-small', count: 3 }],
    });
    await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files);
    const failedOnce = await waitFor('a failed attempt', async () => {
      const row = await transferOf(study.studyInstanceUid);
      return row && row.attempts >= 1 && row.state === 'queued' ? row : undefined;
    });
    expect(failedOnce.lastError).toBe(`RA7_PACS@127.0.0.1:${port}: connection refused (nothing listening)`);

    const outputDir = mkdtempSync(path.join(work, 'pacs-'));
    scp = await startStorescp({ port, aeTitle: 'RA7_PACS', outputDir });
    const delivered = await waitFor(
      'delivery after the recipient came back',
      async () => {
        const row = await transferOf(study.studyInstanceUid);
        return row?.state === 'delivered' ? row : undefined;
      },
      40000,
    );
    expect(delivered.attempts).toBeGreaterThan(1);
    expect(readdirSync(outputDir)).toHaveLength(3);
  });

  it('delivers to a live recipient without waiting behind a dead one', async () => {
    const deadPort = await freePort();
    const outputDir = mkdtempSync(path.join(work, 'pacs-'));
    scp = await startStorescp({ aeTitle: 'RBA_PACS', outputDir });
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds: 1,
      configure: (raw) => {
        ra7PushNodeAt(deadPort)(raw);
        addTrustRba(raw, scp!.port);
        raw.agreements.push({ from: 'RVJ', to: 'RBA', folders: ['emergency'] });
      },
    });
    const toDead = await makeStudy(path.join(work, 'dead'), {
      patientId: 'DLV0005',
      patientName: 'TEST^DEAD',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    const toLive = await makeStudy(path.join(work, 'live'), {
      patientId: 'DLV0006',
      patientName: 'TEST^LIVE',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', toDead.files);
    await waitFor('a failed attempt on the dead recipient', async () => {
      const row = await transferOf(toDead.studyInstanceUid);
      return row && row.attempts >= 1 ? row : undefined;
    });
    await storescu(HOST, hub.port, 'RVJ_PACS', 'RBA_EMER', toLive.files);
    await waitFor('delivery to the live recipient', async () => {
      const row = await transferOf(toLive.studyInstanceUid);
      return row?.state === 'delivered' ? row : undefined;
    });
    expect(readdirSync(outputDir)).toHaveLength(2);
    expect((await transferOf(toDead.studyInstanceUid)).state).toBe('queued');
  });

  it('fails at once, without retrying, when the recipient refuses the association', async () => {
    const outputDir = mkdtempSync(path.join(work, 'pacs-'));
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir, extraArgs: ['--refuse'] });
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds: 1,
      configure: ra7PushNodeAt(scp.port),
    });
    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'DLV0003',
      patientName: 'TEST^REFUSED',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files);
    const failed = await waitFor('the refusal', async () => {
      const row = await transferOf(study.studyInstanceUid);
      return row?.state === 'failed' ? row : undefined;
    });
    expect(failed.lastError).toBe(
      `RA7_PACS@127.0.0.1:${scp.port}: association rejected permanent by the service user: no reason given`,
    );
    expect(failed.attempts).toBe(1);
    // The job failed for good (UnrecoverableError): no backoff retry is pending.
    const job = await waitFor('the delivery job to fail for good', async () => {
      const jobs = await hub!.deliveryJobs(['failed']);
      return jobs.find((candidate) => (candidate.data as { transferId: string }).transferId === failed.id);
    });
    expect(job.attemptsMade).toBe(1);
    expect(await hub!.deliveryJobs(['delayed', 'waiting', 'prioritized'])).toHaveLength(0);
  });

  it('retries a recipient whose connections are dropped (a dead PACS behind a relay), and delivers once it is back', async () => {
    const pacsPort = await freePort();
    // The relay accepts every connection and drops it at once while nothing listens behind it.
    const relay = new TcpProxy(HOST, pacsPort);
    await relay.start();
    try {
      hub = await startTestHub({
        apps: ['receiver', 'router', 'forwarder'],
        stableStudySeconds: 1,
        configure: ra7PushNodeAt(relay.port),
      });
      const study = await makeStudy(path.join(work, 'study'), {
        patientId: 'DLV0011',
        patientName: 'TEST^DROPPED',
        series: [{ kind: 'mr-small', count: 3 }],
      });
      await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_ELEC', study.files);
      const dropped = await waitFor('an attempt whose connection was dropped', async () => {
        const row = await transferOf(study.studyInstanceUid);
        return row && row.attempts >= 1 && row.state === 'queued' && row.lastError ? row : undefined;
      });
      expect(dropped.lastError).toBe(
        `RA7_PACS@127.0.0.1:${relay.port}: connection closed by the peer before the association was released`,
      );
      const outputDir = mkdtempSync(path.join(work, 'pacs-'));
      scp = await startStorescp({ port: pacsPort, aeTitle: 'RA7_PACS', outputDir });
      await waitFor(
        'delivery once the recipient is back',
        async () => {
          const row = await transferOf(study.studyInstanceUid);
          return row?.state === 'delivered' ? row : undefined;
        },
        40000,
      );
      expect(readdirSync(outputDir).filter((name) => !name.startsWith('.'))).toHaveLength(3);
    } finally {
      await relay.cut();
    }
  });

  it('retries a recipient that aborts during the transfer, and delivers once it behaves', async () => {
    const outputDir = mkdtempSync(path.join(work, 'pacs-'));
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir, extraArgs: ['--abort-during'] });
    const port = scp.port;
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds: 1,
      configure: ra7PushNodeAt(port),
    });
    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'DLV0007',
      patientName: 'TEST^ABORT',
      series: [{ kind: 'mr-small', count: 3 }],
    });
    await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files);
    const aborted = await waitFor('an attempt the recipient aborted', async () => {
      const row = await transferOf(study.studyInstanceUid);
      return row && row.attempts >= 1 && row.state === 'queued' && row.lastError ? row : undefined;
    });
    // Named as the abort it is, as soon as it comes (it read "Connection timeout" 10 s later before).
    expect(aborted.lastError).toMatch(new RegExp(`^RA7_PACS@127.0.0.1:${port}: association aborted by the`));
    await scp.stop();
    scp = await startStorescp({ port, aeTitle: 'RA7_PACS', outputDir });
    const delivered = await waitFor(
      'delivery once the recipient stops aborting',
      async () => {
        const row = await transferOf(study.studyInstanceUid);
        return row?.state === 'delivered' ? row : undefined;
      },
      40000,
    );
    expect(delivered.attempts).toBeGreaterThan(1);
    expect(readdirSync(outputDir).filter((name) => !name.startsWith('.'))).toHaveLength(3);
  });

  it('says what the recipient answered when it refuses every instance with 0xA700, and retries', async () => {
    const outputDir = mkdtempSync(path.join(work, 'pacs-'));
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir });
    // storescp answers 0xA700 (Refused: Out of Resources) for each instance it cannot write.
    rmSync(outputDir, { recursive: true });
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds: 1,
      configure: ra7PushNodeAt(scp.port),
    });
    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'DLV0008',
      patientName: 'TEST^FULL',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files);
    const refused = await waitFor('an attempt the recipient refused', async () => {
      const row = await transferOf(study.studyInstanceUid);
      return row && row.attempts >= 1 && row.state === 'queued' && row.lastError ? row : undefined;
    });
    expect(refused.lastError).toMatch(/^0xA700 Refused: Out of Resources/);
    const instances = (await hub.dataSource.query(
      'SELECT state, last_status AS lastStatus, last_error AS lastError FROM transfer_instances WHERE transfer_id = ?',
      [refused.id],
    )) as Array<{ state: string; lastStatus: number; lastError: string }>;
    expect(instances).toHaveLength(2);
    for (const instance of instances) {
      expect(instance).toMatchObject({ state: 'failed', lastStatus: 0xa700 });
      expect(instance.lastError).toMatch(/^0xA700 Refused: Out of Resources/);
    }
    mkdirSync(outputDir);
    const delivered = await waitFor(
      'delivery once the recipient can store again',
      async () => {
        const row = await transferOf(study.studyInstanceUid);
        return row?.state === 'delivered' ? row : undefined;
      },
      40000,
    );
    expect(delivered.lastError).toBeNull();
  });

  it('fails only the instances the recipient takes in no context, without retrying them', async () => {
    const outputDir = mkdtempSync(path.join(work, 'pacs-'));
    // storescp without +xa accepts uncompressed syntaxes only: the JPEG lossless instances have no context.
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir });
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds: 1,
      configure: ra7PushNodeAt(scp.port),
    });
    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'DLV0008',
      patientName: 'TEST^NOCONTEXT',
      series: [
        { kind: 'mr-small', count: 2 },
        { kind: 'ct', count: 2, transferSyntax: 'jpeg-lossless' },
      ],
    });
    await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files, ['-xs']);
    const partial = await waitFor('the partial delivery', async () => {
      const row = await transferOf(study.studyInstanceUid);
      return row?.state === 'partially-delivered' ? row : undefined;
    });
    // Emergency goes in rounds while it arrives; still, every instance was offered exactly once.
    const offered = await waitFor('the last round audited', async () => {
      const rows = (await hub!.dataSource.query(
        `SELECT JSON_EXTRACT(detail, '$.instances') AS instances, JSON_UNQUOTE(JSON_EXTRACT(detail, '$.state')) AS state
           FROM audit_events WHERE event IN ('delivery-attempted', 'delivery-finished')
            AND JSON_EXTRACT(detail, '$.transferId') = ? ORDER BY id`,
        [partial.id],
      )) as Array<{ instances: number | null; state: string }>;
      return rows.at(-1)?.state === 'partially-delivered' ? rows.filter((row) => row.instances !== null) : undefined;
    });
    expect(offered.reduce((sum, row) => sum + Number(row.instances), 0)).toBe(4);
    expect(partial.attempts).toBe(offered.length);
    expect(partial.lastError).toMatch(/accepted no presentation context for .* in 1\.2\.840\.10008\.1\.2\.4\.70/);
    const outcomes = (await hub.dataSource.query(
      `SELECT ti.state, i.transfer_syntax_uid AS ts FROM transfer_instances ti JOIN instances i ON i.id = ti.instance_id
        WHERE ti.transfer_id = ? ORDER BY ti.state`,
      [partial.id],
    )) as Array<{ state: string; ts: string }>;
    expect(outcomes.filter((row) => row.state === 'delivered')).toHaveLength(2);
    expect(outcomes.filter((row) => row.state === 'failed').map((row) => row.ts)).toEqual([
      '1.2.840.10008.1.2.4.70',
      '1.2.840.10008.1.2.4.70',
    ]);
    expect(readdirSync(outputDir).filter((name) => !name.startsWith('.'))).toHaveLength(2);
  });

  it('delivers an instance that failed here once the sender sends it again, and the transfer ends delivered', async () => {
    const { outputDir, started } = await hubDeliveringTo(['+xa'], 2);
    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'DLV0099',
      patientName: 'TEST^RESENT',
      series: [{ kind: 'mr-small', count: 5 }],
    });
    const sent = await storescu(HOST, started.port, 'RVJ_PACS', 'RA7_ELEC', study.files);
    expect(sent.stores.map((store) => store.status)).toEqual([0, 0, 0, 0, 0]);
    // What a MySQL outage mid-store can leave: the row committed, the file removed when the commit
    // seemed to fail. Delivery then cannot read it and fails it here, with no status from the recipient.
    const lost = sentInstances(study)[2];
    const [row] = (await started.dataSource.query('SELECT storage_path FROM instances WHERE sop_instance_uid = ?', [
      lost.sopInstanceUid,
    ])) as Array<{ storage_path: string }>;
    rmSync(path.join(started.storageDir, row.storage_path));
    const partial = await waitFor('the first delivery', async () => {
      const transfer = await transferOf(study.studyInstanceUid);
      return transfer?.state === 'partially-delivered' ? transfer : undefined;
    });
    const [failed] = (await started.dataSource.query(
      `SELECT ti.state, ti.last_status AS lastStatus, ti.last_error AS lastError FROM transfer_instances ti
         JOIN instances i ON i.id = ti.instance_id WHERE ti.transfer_id = ? AND i.sop_instance_uid = ?`,
      [partial.id, lost.sopInstanceUid],
    )) as Array<{ state: string; lastStatus: number | null; lastError: string }>;
    expect(failed).toMatchObject({ state: 'failed', lastStatus: null });
    expect(failed.lastError).toMatch(/cannot read the stored instance/);

    // The sender, told nothing went wrong for the study as a whole, sends it all again.
    const again = await storescu(HOST, started.port, 'RVJ_PACS', 'RA7_ELEC', study.files);
    expect(again.stores.map((store) => store.status)).toEqual([0, 0, 0, 0, 0]);
    await waitFor('the transfer to be delivered in full', async () => {
      const transfer = await transferOf(study.studyInstanceUid);
      return transfer?.state === 'delivered' ? transfer : undefined;
    });
    expect(receivedDatasets(outputDir).has(lost.sopInstanceUid)).toBe(true);
  });

  it('delivers Explicit VR LE instances to a recipient taking only Implicit VR LE, equal apart from the encoding', async () => {
    const { outputDir, started } = await hubDeliveringTo(['+xi']);
    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'DLV0010',
      patientName: 'TEST^IMPLICIT',
      series: [
        { kind: 'mr-small', count: 3 },
        { kind: 'sr', count: 1 },
      ],
    });
    const sent = await storescu(HOST, started.port, 'RVJ_PACS', 'RA7_ELEC', study.files);
    expect(sent.stores.every((store) => store.status === 0)).toBe(true);
    const transfer = await waitFor('delivery', async () => {
      const row = await transferOf(study.studyInstanceUid);
      return row?.state === 'delivered' ? row : undefined;
    });
    const files = readdirSync(outputDir).filter((name) => !name.startsWith('.'));
    expect(files).toHaveLength(4);
    const received = new Map<string, string>();
    for (const name of files) {
      const file = path.join(outputDir, name);
      const meta = await runDcmtk('dcmdump', ['-q', '+P', '0002,0010', '+P', '0008,0018', file]);
      expect(meta.stdout).toMatch(/\(0002,0010\) UI =LittleEndianImplicit/);
      received.set(/\(0008,0018\) UI \[([^\]]+)\]/.exec(meta.stdout)![1], file);
    }
    for (const instance of sentInstances(study)) {
      expect(await datasetDump(received.get(instance.sopInstanceUid)!)).toEqual(await datasetDump(instance.path));
    }
    const audit = await waitFor('the delivery audit', async () => {
      const rows = (await started.dataSource.query(
        `SELECT JSON_EXTRACT(detail, '$.convertedToImplicitVrLittleEndian') AS converted FROM audit_events
          WHERE event = 'delivery-attempted' AND JSON_EXTRACT(detail, '$.transferId') = ?`,
        [transfer.id],
      )) as Array<{ converted: number | string }>;
      return rows.length > 0 ? rows : undefined;
    });
    expect(Number(audit[0].converted)).toBe(4);
  });
});
