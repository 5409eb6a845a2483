import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { echoscu, findscu, storescu } from './support/dcmtk';
import { makeStudy } from './support/dicom-factory';
import { TestHub, startTestHub } from './support/test-hub';

const HOST = '127.0.0.1';
/** Sessions per run: bounded in the suite; `npm run fuzz` sets FUZZ_RUNS higher and FUZZ_SEED at will. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 20261203);

/** What a DCMTK tool sent the hub on one association, cut into its PDUs. */
async function capture(hubPort: number, run: (port: number) => Promise<unknown>): Promise<Buffer[]> {
  const received: Buffer[] = [];
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect(hubPort, HOST);
    upstream.setNoDelay(true);
    client.on('data', (chunk: Buffer) => received.push(Buffer.from(chunk)));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  try {
    await run((server.address() as net.AddressInfo).port);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  const stream = Buffer.concat(received);
  const pdus: Buffer[] = [];
  for (let offset = 0; offset + 6 <= stream.length;) {
    const length = 6 + stream.readUInt32BE(offset + 2);
    pdus.push(stream.subarray(offset, offset + length));
    offset += length;
  }
  return pdus;
}

/** Sends one session's bytes on a fresh connection, then ends it; resolves once the hub has closed it. */
function play(port: number, bytes: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, HOST, () => {
      socket.setNoDelay(true);
      for (const chunk of bytes) {
        socket.write(chunk);
      }
      socket.end();
    });
    socket.on('data', () => undefined);
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    // The hub may keep a half-closed association until its own timeouts: do not wait for those.
    setTimeout(() => {
      socket.destroy();
      resolve();
    }, 2000).unref();
  });
}

/** Reasons of audited aborts that came from an internal error, once the audit writes have caught up. */
async function waitForAuditsToSettle(hub: TestHub): Promise<string[]> {
  const count = async () =>
    Number(((await hub.dataSource.query('SELECT COUNT(*) AS n FROM audit_events')) as Array<{ n: string }>)[0].n);
  for (let before = -1, now = await count(); now !== before; before = now, now = await count()) {
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const rows = (await hub.dataSource.query(
    `SELECT JSON_UNQUOTE(JSON_EXTRACT(detail, '$.reason')) AS reason FROM audit_events
       WHERE event = 'association-aborted' AND JSON_UNQUOTE(JSON_EXTRACT(detail, '$.reason')) LIKE 'internal error%'`,
  )) as Array<{ reason: string }>;
  return rows.map((row) => row.reason);
}

const BOUNDARY_BYTES = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff];
const BOUNDARY_WORDS = [0, 1, 0xff, 0x100, 0x101, 0x7fff, 0xffff];
const BOUNDARY_DWORDS = [0, 1, 3, 4, 6, 0xff, 0x10000, 0x7fffffff, 0xffffffff];

type Mutation =
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'word'; at: number; value: number }
  | { kind: 'dword'; at: number; value: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'repeat-item'; item: number; times: number }
  | { kind: 'duplicate-pdu' }
  | { kind: 'drop-pdu' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('byte' as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(...BOUNDARY_BYTES), fc.nat(255)),
  }),
  fc.record({ kind: fc.constant('word' as const), at: fc.nat(), value: fc.constantFrom(...BOUNDARY_WORDS) }),
  fc.record({ kind: fc.constant('dword' as const), at: fc.nat(), value: fc.constantFrom(...BOUNDARY_DWORDS) }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({ kind: fc.constant('repeat-item' as const), item: fc.nat(), times: fc.integer({ min: 2, max: 300 }) }),
  fc.record({ kind: fc.constant('duplicate-pdu' as const) }),
  fc.record({ kind: fc.constant('drop-pdu' as const) }),
);

/**
 * An A-ASSOCIATE-RQ with one of its items (application context, presentation context, user information)
 * repeated `times` times, lengths kept consistent: the shape of the crash with more than 255 contexts.
 */
function repeatItem(pdu: Buffer, which: number, times: number): Buffer {
  if (pdu[0] !== 0x01 || pdu.length < 74) {
    return pdu;
  }
  const items: Buffer[] = [];
  for (let offset = 74; offset + 4 <= pdu.length;) {
    const end = offset + 4 + pdu.readUInt16BE(offset + 2);
    items.push(pdu.subarray(offset, end));
    offset = end;
  }
  if (items.length === 0) {
    return pdu;
  }
  const index = which % items.length;
  const repeated = [...items.slice(0, index), ...Array<Buffer>(times).fill(items[index]), ...items.slice(index + 1)];
  const result = Buffer.concat([pdu.subarray(0, 74), ...repeated]);
  result.writeUInt32BE(result.length - 6, 2);
  return result;
}

/** Applies mutations to one PDU of the session (chosen by `target`), fields at big- or little-endian offsets. */
function mutate(session: Buffer[], target: number, mutations: Mutation[]): Buffer[] {
  const pdus: Buffer[] = session.map((pdu) => Buffer.from(pdu));
  for (const change of mutations) {
    const index = target % pdus.length;
    const pdu = pdus[index];
    if (pdu.length === 0) {
      continue;
    }
    switch (change.kind) {
      case 'byte':
        pdu[change.at % pdu.length] = change.value;
        break;
      case 'word':
        if (pdu.length >= 2) {
          pdu.writeUInt16BE(change.value, change.at % (pdu.length - 1));
        }
        break;
      case 'dword':
        if (pdu.length >= 4) {
          pdu.writeUInt32BE(change.value, change.at % (pdu.length - 3));
        }
        break;
      case 'truncate':
        pdus[index] = pdu.subarray(0, change.keep % pdu.length);
        break;
      case 'insert': {
        const at = change.at % pdu.length;
        pdus[index] = Buffer.concat([pdu.subarray(0, at), Buffer.from(change.bytes), pdu.subarray(at)]);
        break;
      }
      case 'repeat-item':
        pdus[index] = repeatItem(pdu, change.item, change.times);
        break;
      case 'duplicate-pdu':
        pdus.splice(index, 0, Buffer.from(pdu));
        break;
      case 'drop-pdu':
        pdus.splice(index, 1);
        if (pdus.length === 0) {
          return [Buffer.alloc(0)];
        }
        break;
    }
  }
  return pdus;
}

/**
 * Fuzzes the receiver's association and P-DATA parsing with sessions mutated from real DCMTK captures
 * (echoscu, storescu, findscu) and with random PDUs, over real connections to a running receiver. The
 * receiver must survive every one (a crash here is an uncaught error that fails this test) and still
 * serve DCMTK afterwards.
 */
describe('receiver PDU fuzzing (fast-check, DCMTK captures as seeds)', () => {
  let hub: TestHub;
  let work: string;
  let seeds: Buffer[][];

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-fuzz-'));
    hub = await startTestHub({ apps: ['receiver'] });
    const study = await makeStudy(work, {
      patientId: 'FUZZ0001',
      patientName: 'FUZZ^SEED',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    seeds = [
      await capture(hub.port, (port) => echoscu(HOST, port, 'RVJ_PACS', 'RA7_EMER')),
      await capture(hub.port, (port) => storescu(HOST, port, 'RVJ_PACS', 'RA7_EMER', study.files)),
      await capture(hub.port, (port) =>
        findscu(HOST, port, 'RVJ_VIEW', 'IEP_HUB', 'STUDY', ['PatientID=FUZZ*', 'StudyInstanceUID'], work),
      ),
    ];
  });

  afterAll(async () => {
    await hub?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('captured real sessions to start from', () => {
    // A-ASSOCIATE-RQ first, A-RELEASE-RQ last, P-DATA-TF between.
    for (const seed of seeds) {
      expect(seed[0][0]).toBe(0x01);
      expect(seed.at(-1)?.[0]).toBe(0x05);
      expect(seed.slice(1, -1).every((pdu) => pdu[0] === 0x04)).toBe(true);
    }
  });

  it(`survives ${RUNS} mutated and random sessions (seed ${SEED}) and still serves DCMTK`, async () => {
    let pdusTried = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          {
            arbitrary: fc.record({
              seed: fc.nat(),
              target: fc.nat(),
              mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
            }),
            weight: 4,
          },
          {
            arbitrary: fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 4 }),
            weight: 1,
          },
        ),
        async (input) => {
          const session = Array.isArray(input)
            ? input.map((bytes) => Buffer.from(bytes))
            : mutate(seeds[input.seed % seeds.length], input.target, input.mutations);
          pdusTried += session.length;
          await play(hub.port, session);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    // Printed so a run's figures can be quoted (and compared with `npm run fuzz`).
    console.log(`PDU fuzzing: ${RUNS} sessions, ${pdusTried} PDUs tried, seed ${SEED}, 0 crashes`);
    expect(pdusTried).toBeGreaterThanOrEqual(RUNS);
    // Every bad PDU was caught by a check before use, not by the last-resort abort on an internal error.
    const internal = await waitForAuditsToSettle(hub);
    expect(internal).toEqual([]);
    expect((await echoscu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER')).ok).toBe(true);
    const again = await makeStudy(work, {
      patientId: 'FUZZ0002',
      patientName: 'FUZZ^AFTER',
      series: [{ kind: 'mr-small', count: 1 }],
    });
    const sent = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', again.files);
    expect(sent.stores.map((store) => store.status)).toEqual([0]);
  }, 600_000);
});
