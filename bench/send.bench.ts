// Sends the same sets to DCMTK's storescp with the hub's C-STORE SCU (sendStoredInstances) and with
// DCMTK's storescu, in the same run, and prints instances/s and the ratio. One association each.
//   npm run bench:send -- [--runs 3] [--sets ct300,small2000]
import { readDatasetHeader, sendStoredInstances, splitPart10, StoredInstance } from '@hub/dicom';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDcmtk, startStorescp } from '../test/support/dcmtk';
import { choiceList, readFlags, wholeNumber } from './support/args';
import { ensureDataset, SET_NAMES, SetName } from './support/datasets';
import { median } from './support/report';

function describe(path: string): StoredInstance {
  const { dataset, transferSyntaxUid } = splitPart10(readFileSync(path));
  const header = readDatasetHeader(dataset, transferSyntaxUid, { complete: true });
  if (header.status !== 'ok' || !header.header.sopClassUid || !header.header.sopInstanceUid) {
    throw new Error(`${path}: cannot read its SOP class and instance`);
  }
  return {
    id: path,
    path,
    transferSyntaxUid,
    sopClassUid: header.header.sopClassUid,
    sopInstanceUid: header.header.sopInstanceUid,
  };
}

async function timeOnce(
  sender: 'hub' | 'storescu',
  instances: StoredInstance[],
): Promise<{ seconds: number; rssMiB: number }> {
  const outputDir = mkdtempSync(join(tmpdir(), 'iehub-bench-send-'));
  const scp = await startStorescp({ outputDir, logLevel: 'quiet' });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = process.hrtime.bigint();
  try {
    if (sender === 'hub') {
      const outcomes = await sendStoredInstances(
        { host: '127.0.0.1', port: scp.port, callingAeTitle: 'IEP_HUB', calledAeTitle: 'STORESCP' },
        instances,
      );
      const failed = outcomes.filter((outcome) => outcome.status !== 0);
      if (failed.length > 0) {
        throw new Error(`${failed.length} instance(s) not stored: ${failed[0].error ?? failed[0].status}`);
      }
    } else {
      const result = await runDcmtk('storescu', ['127.0.0.1', String(scp.port), ...instances.map((i) => i.path)], {
        timeoutMs: 600_000,
      });
      if (result.code !== 0) {
        throw new Error(`storescu exited ${result.code}: ${result.stderr.slice(0, 300)}`);
      }
    }
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, rssMiB: peak / 2 ** 20 };
  } finally {
    clearInterval(sampler);
    await scp.stop();
    rmSync(outputDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  let runs = 3;
  let sets: SetName[] = ['ct300', 'small2000'];
  readFlags(process.argv.slice(2), 'usage: node dist/bench/send.bench.js [--runs N] [--sets ct300,small2000]', {
    '--runs': (value) => (runs = wholeNumber('--runs', value)),
    '--sets': (value) => (sets = choiceList('--sets', value, SET_NAMES)),
  });
  const rows: string[] = [];
  for (const set of sets) {
    const data = await ensureDataset(set, join(tmpdir(), 'iehub-bench-data'));
    const instances = data.files.map(describe);
    const times: Record<'hub' | 'storescu', number[]> = { hub: [], storescu: [] };
    let rss = 0;
    for (let run = 1; run <= runs; run += 1) {
      for (const sender of ['hub', 'storescu'] as const) {
        const { seconds, rssMiB } = await timeOnce(sender, instances);
        times[sender].push(seconds);
        if (sender === 'hub') {
          rss = Math.max(rss, rssMiB);
        }
        process.stderr.write(`${set} ${sender} run ${run}: ${(instances.length / seconds).toFixed(0)} inst/s\n`);
      }
    }
    const hub = instances.length / median(times.hub);
    const dcmtk = instances.length / median(times.storescu);
    rows.push(
      `${set.padEnd(10)} ${hub.toFixed(0).padStart(8)}/s ${dcmtk.toFixed(0).padStart(10)}/s ${(hub / dcmtk).toFixed(2).padStart(8)} ${rss.toFixed(0).padStart(12)}`,
    );
  }
  process.stdout.write(
    `\nSend benchmark → storescp, median of ${runs} run(s), one association, TCP_NODELAY on both\n` +
      `set          hub SCU   storescu  hub/scu  bench RSS MiB\n${rows.join('\n')}\n`,
  );
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
