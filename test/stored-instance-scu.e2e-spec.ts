import { AssociationFailedError, sendStoredInstances, splitPart10 } from '@hub/dicom';
import { applyCoercion, coercionScope } from '@hub/coercion';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StorescpHandle, startStorescp } from './support/dcmtk';
import { GeneratedStudy, makeBigInstances, makeStudy } from './support/dicom-factory';
import { receivedDatasets } from './support/storescp-output';

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

describe('sending stored instances byte for byte (storescp as the peer)', () => {
  let work: string;
  let scp: StorescpHandle | undefined;

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-scu-'));
  });

  afterEach(async () => {
    await scp?.stop();
    scp = undefined;
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('delivers every instance with its data set unchanged, compressed ones in their own syntax', async () => {
    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'SCU0001',
      patientName: 'TEST^SCU',
      series: [
        { kind: 'ct', count: 3 },
        { kind: 'mr-small', count: 30 },
        { kind: 'ct', count: 2, transferSyntax: 'jpeg-lossless' },
        { kind: 'sr', count: 1 },
        { kind: 'pdf', count: 1 },
      ],
    });
    const outputDir = mkdtempSync(path.join(work, 'out-'));
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir, extraArgs: ['+xa'] });
    const outcomes = await sendStoredInstances(
      { host: '127.0.0.1', port: scp.port, callingAeTitle: 'IEP_HUB', calledAeTitle: 'RA7_PACS' },
      instancesOf(study),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(instancesOf(study).map(() => 0));
    const got = receivedDatasets(outputDir);
    for (const instance of instancesOf(study)) {
      const original = splitPart10(readFileSync(instance.path)).dataset;
      expect(got.get(instance.sopInstanceUid)?.equals(original)).toBe(true);
    }
  });

  it('fails an instance the peer takes in no context of its own syntax, with the reason, and sends the rest', async () => {
    const study = await makeStudy(path.join(work, 'mixed'), {
      patientId: 'SCU0002',
      patientName: 'TEST^SCU',
      series: [
        { kind: 'mr-small', count: 2 },
        { kind: 'ct', count: 1, transferSyntax: 'jpeg-lossless' },
      ],
    });
    const outputDir = mkdtempSync(path.join(work, 'out-'));
    // Without +xa storescp accepts only uncompressed syntaxes.
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir });
    const outcomes = await sendStoredInstances(
      { host: '127.0.0.1', port: scp.port, callingAeTitle: 'IEP_HUB', calledAeTitle: 'RA7_PACS' },
      instancesOf(study),
    );
    expect(outcomes.slice(0, 2).map((outcome) => outcome.status)).toEqual([0, 0]);
    expect(outcomes[2].status).toBeUndefined();
    expect(outcomes[2].error).toMatch(/accepted no presentation context .* in 1\.2\.840\.10008\.1\.2\.4\.70/);
    expect(readdirSync(outputDir)).toHaveLength(2);
  });

  it('keeps the association open for what a feed hands over, then releases once it has nothing more', async () => {
    const study = await makeStudy(path.join(work, 'fed'), {
      patientId: 'SCU0004',
      patientName: 'TEST^SCU',
      series: [{ kind: 'ct', count: 5 }],
    });
    const [first, ...later] = instancesOf(study);
    const outputDir = mkdtempSync(path.join(work, 'out-'));
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir });
    const batches = [later.slice(0, 2), later.slice(2)];
    let asked = 0;
    const outcomes = await sendStoredInstances(
      { host: '127.0.0.1', port: scp.port, callingAeTitle: 'IEP_HUB', calledAeTitle: 'RA7_PACS' },
      [first],
      {
        more: async () => {
          asked += 1;
          // The feed may take its time: the association waits for it.
          await new Promise((resolve) => setTimeout(resolve, 50));
          return batches.shift() ?? [];
        },
      },
    );
    expect(asked).toBe(3);
    expect(outcomes).toEqual(instancesOf(study).map((instance) => ({ id: instance.id, status: 0 })));
    const got = receivedDatasets(outputDir);
    for (const instance of instancesOf(study)) {
      expect(got.get(instance.sopInstanceUid)?.equals(splitPart10(readFileSync(instance.path)).dataset)).toBe(true);
    }
    await scp.waitForLog(/Association Release/);
    expect(scp.log().match(/Association Received/g)).toHaveLength(1);
  });

  it('leaves a fed instance whose context was not negotiated for the next association, and asks no more', async () => {
    const study = await makeStudy(path.join(work, 'fed-other'), {
      patientId: 'SCU0005',
      patientName: 'TEST^SCU',
      series: [
        { kind: 'ct', count: 2 },
        { kind: 'sr', count: 1 },
        { kind: 'ct', count: 1 },
      ],
    });
    const [ct1, ct2, sr, ct3] = instancesOf(study);
    const outputDir = mkdtempSync(path.join(work, 'out-'));
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir });
    const batches = [[ct2], [sr, ct3]];
    let asked = 0;
    const outcomes = await sendStoredInstances(
      { host: '127.0.0.1', port: scp.port, callingAeTitle: 'IEP_HUB', calledAeTitle: 'RA7_PACS' },
      [ct1],
      {
        more: () => {
          asked += 1;
          return Promise.resolve(batches.shift() ?? []);
        },
      },
    );
    // Proposed for the CT alone: the SR (and what the feed gave after it) was never offered to the peer.
    expect(asked).toBe(2);
    expect(outcomes).toEqual([
      { id: ct1.id, status: 0 },
      { id: ct2.id, status: 0 },
      { id: sr.id, error: 'not answered' },
      { id: ct3.id, error: 'not answered' },
    ]);
    expect([...receivedDatasets(outputDir).keys()].sort()).toEqual([ct1.sopInstanceUid, ct2.sopInstanceUid].sort());
  });

  it('streams a large instance byte for byte, coercing only its head, without holding it in memory', async () => {
    const [big] = makeBigInstances(path.join(work, 'big'), 1, 24).instances;
    // The generator repeats one frame: mark the pixel data throughout so a misplaced block would show.
    const size = statSync(big.path).size;
    const fd = openSync(big.path, 'r+');
    for (let at = size - 8, mark = 0; at > size / 2; at -= 65_521, mark += 1) {
      const bytes = Buffer.alloc(8);
      bytes.writeDoubleLE(mark);
      writeSync(fd, bytes, 0, 8, at);
    }
    closeSync(fd);
    const rules = [{ op: 'set' as const, tag: 'AccessionNumber', value: '{sender.code}-BIG' }];
    const context = { sender: { code: 'RVJ', patientIdIssuer: 'RVJ' }, recipient: { code: 'RA7' } };
    const outputDir = mkdtempSync(path.join(work, 'out-'));
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir, logLevel: 'info' });

    const baseline = process.memoryUsage().arrayBuffers;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 5);
    const outcomes = await sendStoredInstances(
      { host: '127.0.0.1', port: scp.port, callingAeTitle: 'IEP_HUB', calledAeTitle: 'RA7_PACS' },
      [{ id: big.sopInstanceUid, ...big }],
      {
        transform: {
          belowTag: coercionScope(rules),
          apply: (head, instance) => applyCoercion(head, instance.transferSyntaxUid, rules, context).dataset,
        },
      },
    ).finally(() => clearInterval(sampler));

    expect(outcomes).toEqual([{ id: big.sopInstanceUid, status: 0 }]);
    // Blocks of a MiB or two in flight, never the 24 MiB instance.
    expect(peak - baseline).toBeLessThan(8 * 2 ** 20);
    const original = splitPart10(readFileSync(big.path)).dataset;
    const expected = applyCoercion(original, big.transferSyntaxUid, rules, context).dataset;
    const [name] = readdirSync(outputDir);
    expect(receivedDatasets(outputDir).get(big.sopInstanceUid)?.equals(expected)).toBe(true);
    expect(execFileSync('dcmdump', ['+L', '-M', path.join(outputDir, name)]).toString()).toMatch(
      /\(0008,0050\) SH \[RVJ-BIG ?\]/,
    );
  });

  it('gives up on a peer that accepts the connection and never reads', async () => {
    const server = net.createServer();
    const open = new Set<net.Socket>();
    server.on('connection', (socket) => {
      open.add(socket);
      socket.pause();
      socket.on('close', () => open.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const study = await makeStudy(path.join(work, 'hung'), {
      patientId: 'SCU0003',
      patientName: 'TEST^SCU',
      series: [{ kind: 'mr-small', count: 1 }],
    });
    try {
      const attempt = sendStoredInstances(
        {
          host: '127.0.0.1',
          port: (server.address() as net.AddressInfo).port,
          callingAeTitle: 'IEP_HUB',
          calledAeTitle: 'RA7_PACS',
        },
        instancesOf(study),
        { timeouts: { connectMs: 1000, associationMs: 2000, pduMs: 2000 } },
      );
      // Settles at all only if the socket is destroyed: the library alone ends its side (FIN) and waits for
      // a close that a peer which never reads never sends.
      await expect(attempt).rejects.toThrow(AssociationFailedError);
      await expect(attempt).rejects.toThrow(/timeout/i);
    } finally {
      open.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
