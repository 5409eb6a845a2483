// The fault cases. Each sends a fresh study with storescu while one fault is injected, resends what was not
// acknowledged (as a PACS does), heals the fault, waits for the hub to deliver by itself, and counts.
import { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { descendantPids, sleep, startStorescp, StorescpHandle, storescu, StorescuResult } from '../support/dcmtk';
import { makeStudy } from '../support/dicom-factory';
import { TcpProxy } from '../support/tcp-proxy';
import { CALLED_AE, HubApp, HubEnv, RECIPIENT_MAX_ASSOCIATIONS, SENDER_AE, runHubCli } from './hub';
import { ProcessRegistry, ThrowawayHaproxy, ThrowawayMariaDb, ThrowawayRedis, until } from './processes';
import { HubStorage } from './storage';

export interface FaultContext {
  root: string;
  db: ThrowawayMariaDb;
  database: string;
  redis: ThrowawayRedis;
  storage: HubStorage;
  registry: ProcessRegistry;
  apps: Record<'receiver' | 'router' | 'forwarder' | 'receiver2' | 'router2' | 'forwarder2', HubApp>;
  recipientProxy: TcpProxy;
  /** Where storescp listens, behind recipientProxy. */
  recipientPort: number;
  receiverPort: number;
  /** What the first receiver, router and forwarder run with: for the operator's CLI. */
  hubEnv: HubEnv;
}

export interface CaseResult {
  name: string;
  sent: number;
  acknowledged: number;
  stored: number;
  delivered: number;
  lost: number;
  duplicated: number;
  peakAssociations: number;
  statuses: string;
  transfer: string;
  notes: string[];
  failures: string[];
  skipped?: string;
  durationMs: number;
  /** From the moment every fault was healed to the last acknowledged instance at the recipient, when it got there. */
  recoveryMs?: number;
}

type Folder = 'emergency' | 'elective';

/** How the recipient PACS misbehaves at the start of a case, before a healthy storescp takes over. */
type RecipientFault = 'down' | 'refuse' | 'abort-during' | 'abort-after' | 'out-of-resources';

interface CaseSpec {
  name: string;
  folder: Folder;
  instances: number;
  /** Fires once, when the sender has this many acknowledgements ('acks') or the recipient has received this many
   * instances ('delivered'); runs alongside the sender. */
  fault?: {
    when: 'acks' | 'delivered';
    at: number;
    inject: (c: { recipient: Recipient; studyUid: string }) => Promise<void>;
  };
  /** SIGKILL storescu after this many acknowledgements (an association cut mid-transfer). */
  cutSenderAt?: number;
  /** Run after the sender has every acknowledgement (e.g. restart the router only once the study is complete). */
  heal?: () => Promise<void>;
  recipient?: RecipientFault;
  /** How long the hub gets to deliver everything once the faults are healed. */
  recoveryMs: number;
  skip?: string;
}

const MAX_SEND_ROUNDS = 60;
const SEND_DEADLINE_MS = 150_000;
const RECIPIENT_DOWN_MS = 60_000;
/** How long a transfer may sit failed or partially delivered before a case stops waiting for it to heal. */
const SETTLED_GRACE_MS = 20_000;

/** Statuses a C-STORE-RSP may carry for a stored instance: success and the warnings. */
const isAcknowledged = (status: number | undefined): boolean =>
  status !== undefined && (status === 0 || (status & 0xf000) === 0xb000);

const hex = (status: number): string => status.toString(16).toUpperCase().padStart(4, '0');

class Tally {
  private readonly counts = new Map<string, number>();
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  toString(): string {
    return [...this.counts].map(([k, n]) => `${k}×${n}`).join(' ');
  }
}

/** (0002,0003) of a file storescp wrote, read from its first 2 KiB. */
function mediaSopInstanceUid(file: string): string | undefined {
  const buf = Buffer.alloc(2048);
  const fd = openSync(file, 'r');
  const n = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  const at = buf.subarray(0, n).indexOf(Buffer.from([0x02, 0x00, 0x03, 0x00, 0x55, 0x49]));
  if (at < 0) {
    return undefined;
  }
  return buf.toString('latin1', at + 8, at + 8 + buf.readUInt16LE(at + 6)).replace(/\0+$/, '');
}

/** How many times each SOP Instance UID arrived at the recipient (storescp with unique file names). */
function receivedCounts(dirs: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const dir of dirs) {
    if (!existsSync(dir)) {
      continue;
    }
    for (const name of readdirSync(dir)) {
      if (name.startsWith('.')) {
        continue;
      }
      const uid = mediaSopInstanceUid(join(dir, name));
      if (uid) {
        counts.set(uid, (counts.get(uid) ?? 0) + 1);
      }
    }
  }
  return counts;
}

class Recipient {
  scp?: StorescpHandle;
  readonly healthyDirs: string[] = [];
  private n = 0;

  constructor(
    private readonly ctx: FaultContext,
    private readonly caseDir: string,
  ) {}

  /** A healthy storescp: forks per association (parallel deliveries), a unique file per received copy. */
  async startHealthy(): Promise<StorescpHandle> {
    const dir = join(this.caseDir, `recipient-${++this.n}`);
    mkdirSync(dir, { recursive: true });
    this.healthyDirs.push(dir);
    return this.startScp(dir, []);
  }

  async startFaulty(fault: Exclude<RecipientFault, 'down'>): Promise<StorescpHandle> {
    const dir = join(this.caseDir, `failing-recipient-${++this.n}`);
    mkdirSync(dir, { recursive: true });
    const args =
      fault === 'refuse'
        ? ['--refuse']
        : fault === 'abort-during'
          ? ['--abort-during']
          : fault === 'abort-after'
            ? ['--abort-after']
            : [];
    const scp = await this.startScp(dir, args);
    if (fault === 'out-of-resources') {
      // storescp 3.6.7 has no option to answer 0xA700, but it answers 0xA700 itself when it cannot write the file.
      rmSync(dir, { recursive: true, force: true });
    }
    return scp;
  }

  private async startScp(dir: string, extraArgs: string[]): Promise<StorescpHandle> {
    this.scp = await startStorescp({
      port: this.ctx.recipientPort,
      outputDir: dir,
      fork: true,
      aeTitle: 'RA7_PACS',
      logLevel: 'verbose',
      extraArgs: ['+uf', ...extraArgs],
      startTimeoutMs: 15_000,
    });
    return this.scp;
  }

  async stop(): Promise<void> {
    await this.scp?.stop();
    this.scp = undefined;
  }

  /** The recipient PACS crashes: storescp and every association it forked die at once, without A-ABORT. */
  async crash(): Promise<void> {
    const scp = this.scp;
    if (!scp) {
      return;
    }
    for (const pid of [...descendantPids(scp.pid), scp.pid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await scp.exited;
    this.scp = undefined;
  }
}

interface SendState {
  acked: Set<string>;
  statuses: Tally;
  rounds: number;
  ackCount: number;
}

/** Sends files until each is acknowledged (resending only what was not), like a PACS's retry. */
async function sendUntilAcknowledged(
  port: number,
  calledAe: string,
  files: Map<string, string>,
  onAck: (count: number, child: ChildProcess) => void,
  state: SendState,
): Promise<void> {
  const deadline = Date.now() + SEND_DEADLINE_MS;
  const sopByFile = new Map([...files].map(([sop, file]) => [file, sop]));
  while (state.acked.size < files.size) {
    if (state.rounds >= MAX_SEND_ROUNDS || Date.now() > deadline) {
      throw new Error(
        `the sender still had ${files.size - state.acked.size} unacknowledged after ${state.rounds} rounds`,
      );
    }
    if (state.rounds > 0) {
      await sleep(1000);
    }
    state.rounds += 1;
    const pending = [...files].filter(([sop]) => !state.acked.has(sop)).map(([, file]) => file);
    const result: StorescuResult = await storescu(
      '127.0.0.1',
      port,
      SENDER_AE,
      calledAe,
      pending,
      ['-nh', '-to', '10', '-ta', '10', '-td', '60'],
      {
        timeoutMs: 120_000,
        onStderrLine: (line, child) => {
          if (/Received Store Response/.test(line)) {
            state.ackCount += 1;
            onAck(state.ackCount, child);
          }
        },
      },
    );
    if (result.association !== 'accepted') {
      state.statuses.add(`assoc-${result.association}`);
    }
    for (const store of result.stores) {
      const sop = sopByFile.get(store.file);
      if (store.status === undefined) {
        state.statuses.add('no-response');
      } else {
        state.statuses.add(hex(store.status));
        if (isAcknowledged(store.status) && sop) {
          state.acked.add(sop);
        }
      }
    }
    const unattempted = pending.length - result.stores.length;
    if (unattempted > 0) {
      state.statuses.add('not-sent', unattempted);
    }
  }
}

interface Counts {
  stored: Set<string>;
  studies: number;
  transfers: Array<{ id: string; state: string; last_error: string | null; attempts: number }>;
  instanceStates: string;
}

/** Waits for the transfer held on the permanent rejection, then runs `transfers retry` as the operator would. */
async function operatorRetriesRefused(ctx: FaultContext, studyUid: string, result: CaseResult): Promise<void> {
  let held: string | undefined;
  await until(
    'the transfer held as failed on the permanent rejection',
    async () => {
      const counts = await countFromDb(ctx, [studyUid]).catch(() => undefined);
      held = counts?.transfers.find((t) => t.state === 'failed' && /rejected permanent/.test(t.last_error ?? ''))?.id;
      return held !== undefined;
    },
    60_000,
  ).catch(() => undefined);
  if (!held) {
    result.failures.push('the transfer was not held as failed on the permanent rejection');
    return;
  }
  const retried = runHubCli(ctx.hubEnv, ['transfers', 'retry', held, '--as', 'fault-suite-operator']);
  if (retried.code !== 0) {
    result.failures.push(`transfers retry failed (exit ${retried.code}): ${retried.output.trim()}`);
    return;
  }
  result.notes.push('held as failed on the permanent rejection; delivered after the operator ran `transfers retry`');
}

async function countFromDb(ctx: FaultContext, studyUids: string[]): Promise<Counts> {
  const placeholders = studyUids.map(() => '?').join(',');
  const stored = await ctx.db.query<{ sop: string }>(
    ctx.database,
    `SELECT DISTINCT i.sop_instance_uid AS sop FROM instances i JOIN studies s ON s.id = i.study_id
     WHERE s.study_instance_uid IN (${placeholders})`,
    studyUids,
  );
  const studies = await ctx.db.query<{ n: string }>(
    ctx.database,
    `SELECT COUNT(*) AS n FROM studies WHERE study_instance_uid IN (${placeholders})`,
    studyUids,
  );
  const transfers = await ctx.db.query<{ id: string; state: string; last_error: string | null; attempts: number }>(
    ctx.database,
    `SELECT t.id, t.state, t.last_error, t.attempts FROM transfers t JOIN studies s ON s.id = t.study_id
     WHERE s.study_instance_uid IN (${placeholders})`,
    studyUids,
  );
  const states = await ctx.db.query<{
    state: string;
    n: string;
    last_status: number | null;
    last_error: string | null;
  }>(
    ctx.database,
    `SELECT ti.state, COUNT(*) AS n, MAX(ti.last_status) AS last_status, MAX(ti.last_error) AS last_error
     FROM transfer_instances ti JOIN transfers t ON t.id = ti.transfer_id JOIN studies s ON s.id = t.study_id
     WHERE s.study_instance_uid IN (${placeholders}) GROUP BY ti.state`,
    studyUids,
  );
  return {
    stored: new Set(stored.map((r) => r.sop)),
    studies: Number(studies[0]?.n ?? 0),
    transfers,
    instanceStates: states
      .map(
        (s) =>
          `${s.state}×${s.n}` +
          (s.state === 'failed'
            ? ` (status ${s.last_status === null ? '-' : hex(s.last_status)}, ${s.last_error ?? '-'})`
            : ''),
      )
      .join(' '),
  };
}

/**
 * The study is complete and routed, so the delivery's last round is due. (An emergency study is routed as it starts
 * to arrive, forwardWhileReceiving; it completes after stableStudySeconds of quiet.)
 */
async function studyCompleteAndRouted(ctx: FaultContext, studyUid: string): Promise<boolean> {
  const rows = await ctx.db
    .query<{ state: string; completed_at: Date | null }>(
      ctx.database,
      'SELECT state, completed_at FROM studies WHERE study_instance_uid = ?',
      [studyUid],
    )
    .catch(() => []);
  return rows[0]?.state === 'routed' && rows[0]?.completed_at !== null;
}

/** A crashed recipient stays down until the study is complete and routed (at most 30 s), and 3 s more. */
async function downUntilRouted(ctx: FaultContext, studyUid: string): Promise<void> {
  await until('the study to be complete and routed', () => studyCompleteAndRouted(ctx, studyUid), 30_000).catch(
    () => undefined,
  );
  await sleep(3000);
}

async function transferSettledUndelivered(ctx: FaultContext, studyUid: string): Promise<boolean> {
  const counts = await countFromDb(ctx, [studyUid]).catch(() => undefined);
  return counts?.transfers.some((t) => t.state === 'failed' || t.state === 'partially-delivered') ?? false;
}

function emptyResult(name: string): CaseResult {
  return {
    name,
    sent: 0,
    acknowledged: 0,
    stored: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    peakAssociations: 0,
    statuses: '',
    transfer: '',
    notes: [],
    failures: [],
    durationMs: 0,
  };
}

/** Hub processes that exited by themselves since `since`. */
function exitsSince(ctx: FaultContext, since: number): string[] {
  return ctx.registry.unexpectedExits
    .slice(since)
    .map((e) => `${e.name} exited by itself (code ${e.code}, signal ${e.signal})`);
}

async function runCase(ctx: FaultContext, spec: CaseSpec): Promise<CaseResult> {
  const result = emptyResult(spec.name);
  if (spec.skip) {
    result.skipped = spec.skip;
    console.log(`\n--- ${spec.name}: SKIPPED (${spec.skip})`);
    return result;
  }
  console.log(`\n--- ${spec.name}`);
  const started = Date.now();
  const exitsBefore = ctx.registry.unexpectedExits.length;
  const caseDir = join(ctx.root, 'cases', spec.name.replace(/[^a-z0-9]+/gi, '-'));
  const study = await makeStudy(join(caseDir, 'sent'), {
    patientId: `FAULT${Date.now() % 1_000_000}`,
    patientName: 'Fault^Matrix',
    series: [{ kind: 'mr-small', count: spec.instances }],
  });
  const files = new Map(study.series.flatMap((s) => s.instances.map((i) => [i.sopInstanceUid, i.path] as const)));
  result.sent = files.size;
  const recipient = new Recipient(ctx, caseDir);
  const state: SendState = { acked: new Set(), statuses: new Tally(), rounds: 0, ackCount: 0 };
  let faultFired: { at: number; acked: number; promise: Promise<void> } | undefined;
  const fire = (): void => {
    if (!faultFired && spec.fault) {
      const label = spec.fault.when === 'acks' ? 'acknowledgements' : 'instances at the recipient';
      console.log(`    fault at ${spec.fault.at} ${label} (+${((Date.now() - started) / 1000).toFixed(1)} s)`);
      faultFired = {
        at: Date.now(),
        acked: state.ackCount,
        promise: spec.fault.inject({ recipient, studyUid: study.studyInstanceUid }),
      };
      faultFired.promise.catch(() => undefined);
    }
  };
  let cut = false;
  let faultySeen = 0;
  let proxyCut = false;
  try {
    ctx.recipientProxy.peakOpen = ctx.recipientProxy.open;
    let faulty: StorescpHandle | undefined;
    if (spec.recipient === 'down') {
      await ctx.recipientProxy.cut();
      proxyCut = true;
    } else if (spec.recipient) {
      faulty = await recipient.startFaulty(spec.recipient);
    } else {
      const healthy = await recipient.startHealthy();
      if (spec.fault?.when === 'delivered') {
        healthy.onLogged('Received Store Request', (n) => n >= spec.fault!.at && fire());
      }
    }

    await sendUntilAcknowledged(
      ctx.receiverPort,
      CALLED_AE[spec.folder],
      files,
      (count, child) => {
        if (spec.fault?.when === 'acks' && count >= spec.fault.at) {
          fire();
        }
        if (spec.cutSenderAt !== undefined && !cut && count >= spec.cutSenderAt) {
          cut = true;
          console.log(`    association cut: storescu SIGKILLed after ${count} acknowledgements`);
          child.kill('SIGKILL');
        }
      },
      state,
    );
    if (spec.fault?.when === 'delivered') {
      await until('the recipient to receive enough for the fault', () => faultFired !== undefined, 60_000).catch(
        () => undefined,
      );
    }
    if (spec.fault && !faultFired) {
      result.failures.push(`the fault never fired (threshold ${spec.fault.at} not reached)`);
    }
    await faultFired?.promise;
    if (faultFired && spec.fault?.when === 'acks' && faultFired.acked >= files.size) {
      result.failures.push('the fault fired after the whole study was acknowledged, not mid-study');
    }
    await spec.heal?.();

    // The recipient misbehaves until the hub has met it a few times (or is down for RECIPIENT_DOWN_MS), then recovers.
    if (spec.recipient === 'down') {
      const downFor = RECIPIENT_DOWN_MS - (Date.now() - started);
      console.log(`    recipient down (connection refused) for another ${Math.max(0, downFor / 1000).toFixed(0)} s`);
      await sleep(Math.max(0, downFor));
      await ctx.recipientProxy.restore();
      proxyCut = false;
      await recipient.startHealthy();
    } else if (faulty) {
      const attempts = (): number => (faulty.log().match(/Association Received/g) ?? []).length;
      // The recipient keeps failing until the study is complete and routed (so the outcome does not hang on whether
      // the router or the recovery comes first), and the hub has met it three times (it retries) or has settled the
      // transfer as failed (it gave up).
      await until(
        'the study routed, and the hub to meet the failing recipient three times or give up',
        async () =>
          (await studyCompleteAndRouted(ctx, study.studyInstanceUid)) &&
          (attempts() >= 3 || (attempts() >= 1 && (await transferSettledUndelivered(ctx, study.studyInstanceUid)))),
        60_000,
      ).catch(() => undefined);
      faultySeen = attempts();
      if (faultySeen === 0) {
        result.failures.push('the hub never met the failing recipient: the fault was not exercised');
      }
      console.log(`    the failing recipient (${spec.recipient}) took ${faultySeen} association(s); now healthy`);
      await recipient.stop();
      await recipient.startHealthy();
      if (spec.recipient === 'refuse') {
        // A permanent rejection holds the transfer as failed, by design (no retry storm against a PACS that says
        // no): the study is kept, and the operator sends it again once the PACS is fixed. That is the path here.
        await operatorRetriesRefused(ctx, study.studyInstanceUid, result);
      }
    }

    const acked = [...state.acked];
    const healedAt = Date.now();
    let settledSince: number | undefined;
    await until(
      'every acknowledged instance at the recipient and the transfer delivered',
      async () => {
        const received = receivedCounts(recipient.healthyDirs);
        const counts = await countFromDb(ctx, [study.studyInstanceUid]).catch(() => undefined);
        if (acked.every((sop) => received.has(sop))) {
          return (
            counts !== undefined &&
            counts.transfers.length > 0 &&
            counts.transfers.every((t) => t.state === 'delivered')
          );
        }
        // failed and partially-delivered are final: nothing retries them until the sender sends again.
        const settled = counts?.transfers.some((t) => t.state === 'failed' || t.state === 'partially-delivered');
        settledSince = settled ? (settledSince ?? Date.now()) : undefined;
        if (settledSince !== undefined && Date.now() - settledSince > SETTLED_GRACE_MS) {
          throw new Error(
            `the transfer settled as ${counts!.transfers.map((t) => t.state).join(', ')} with instances ` +
              `undelivered, and stayed so for ${SETTLED_GRACE_MS / 1000} s`,
          );
        }
        return false;
      },
      spec.recoveryMs,
    ).then(
      () => (result.recoveryMs = Date.now() - healedAt),
      (err: Error) => result.failures.push(err.message),
    );
  } catch (err) {
    result.failures.push(`case error: ${(err as Error).message}`);
  }

  // Count.
  const received = receivedCounts(recipient.healthyDirs);
  const counts = await countFromDb(ctx, [study.studyInstanceUid]).catch((err: Error) => {
    result.failures.push(`could not count in MariaDB: ${err.message}`);
    return undefined;
  });
  result.acknowledged = state.acked.size;
  result.stored = counts?.stored.size ?? 0;
  result.delivered = [...files.keys()].filter((sop) => received.has(sop)).length;
  result.lost = [...state.acked].filter((sop) => !received.has(sop)).length;
  result.duplicated = [...files.keys()].filter((sop) => (received.get(sop) ?? 0) > 1).length;
  result.peakAssociations = ctx.recipientProxy.peakOpen;
  result.statuses = state.statuses.toString();
  if (counts) {
    result.transfer =
      counts.transfers
        .map((t) => `${t.state}, ${t.attempts} attempt(s), last error ${t.last_error ?? '-'}`)
        .join('; ') + (counts.instanceStates ? `; instances ${counts.instanceStates}` : '');
    const ackedNotStored = [...state.acked].filter((sop) => !counts.stored.has(sop));
    if (ackedNotStored.length > 0) {
      result.failures.push(`${ackedNotStored.length} acknowledged instance(s) have no row in instances`);
    }
    if (counts.studies !== 1 || counts.transfers.length !== 1) {
      result.failures.push(`expected 1 study and 1 transfer, found ${counts.studies} and ${counts.transfers.length}`);
    }
  }
  if (result.lost > 0) {
    result.failures.push(`${result.lost} acknowledged instance(s) never reached the recipient`);
    if (counts?.transfers.some((t) => t.state === 'failed' && /rejected permanent/.test(t.last_error ?? ''))) {
      result.notes.push(
        'why: storescp --refuse answers A-ASSOCIATE-RJ rejected-permanent (service user, no reason given); the ' +
          'forwarder treats any permanent rejection as unrecoverable (UnrecoverableError, STYLE.md convention 6), ' +
          'so the transfer stays failed and nothing retries it after the recipient accepts again',
      );
    }
  }
  if (result.acknowledged < result.sent) {
    result.failures.push(`${result.sent - result.acknowledged} instance(s) were never acknowledged to the sender`);
  }
  if (result.peakAssociations > RECIPIENT_MAX_ASSOCIATIONS) {
    result.failures.push(
      `${result.peakAssociations} associations were open at once at the recipient (maxAssociations ${RECIPIENT_MAX_ASSOCIATIONS})`,
    );
  }
  if (spec.cutSenderAt !== undefined && !cut) {
    result.failures.push('the association was never cut');
  }
  if (faultySeen > 0) {
    result.notes.push(`the failing recipient took ${faultySeen} association(s) before it recovered`);
  }
  result.failures.push(...exitsSince(ctx, exitsBefore));
  await recipient.stop().catch(() => undefined);
  if (proxyCut) {
    // Whatever happened, leave the relay listening for the next case.
    await ctx.recipientProxy.restore().catch(() => undefined);
  }
  result.durationMs = Date.now() - started;
  console.log(
    `    sent ${result.sent}, acknowledged ${result.acknowledged}, stored ${result.stored}, delivered ${result.delivered}, ` +
      `lost ${result.lost}, duplicated ${result.duplicated}, peak ${result.peakAssociations}; ${result.statuses}; ` +
      `${(result.durationMs / 1000).toFixed(0)} s${result.failures.length ? `\n    FAIL: ${result.failures.join('; ')}` : ''}`,
  );
  return result;
}

/** Two receivers behind HAProxy, two routers, two forwarders, one MariaDB, one Redis, one storage folder. */
async function runTwoOfEach(ctx: FaultContext): Promise<CaseResult> {
  const result = emptyResult('two of each app (4 studies)');
  console.log(`\n--- ${result.name}`);
  const started = Date.now();
  const exitsBefore = ctx.registry.unexpectedExits.length;
  const caseDir = join(ctx.root, 'cases', 'two-of-each');
  const recipient = new Recipient(ctx, caseDir);
  const { apps } = ctx;
  const statuses = new Tally();
  const studyUids: string[] = [];
  const allSops: string[] = [];
  const acked = new Set<string>();
  try {
    await Promise.all([apps.receiver2.start(), apps.router2.start(), apps.forwarder2.start()]);
    const haproxy = await ThrowawayHaproxy.create(join(ctx.root, 'haproxy'), ctx.registry, [
      { name: 'r1', port: ctx.receiverPort },
      { name: 'r2', port: apps.receiver2.dicomPort! },
    ]);
    await recipient.startHealthy();
    ctx.recipientProxy.peakOpen = ctx.recipientProxy.open;

    // Elective: all four complete together after stableStudySeconds, so their deliveries compete for the node.
    const studies = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        makeStudy(join(caseDir, `sent-${i}`), {
          patientId: `TWO${i}${Date.now() % 100000}`,
          patientName: 'Two^OfEach',
          series: [{ kind: 'mr-small', count: 24 }],
        }),
      ),
    );
    // Each study goes in two halves over two associations at once: studies 0 and 1 through HAProxy (round-robin
    // per connection), studies 2 and 3 straight to receiver 1 and receiver 2, so each of those is certainly split.
    const sends: Array<{ port: number; files: string[]; sops: string[] }> = [];
    studies.forEach((study, i) => {
      studyUids.push(study.studyInstanceUid);
      const inst = study.series[0].instances;
      allSops.push(...inst.map((x) => x.sopInstanceUid));
      const halves = [inst.slice(0, inst.length / 2), inst.slice(inst.length / 2)];
      halves.forEach((half, h) =>
        sends.push({
          port: i < 2 ? haproxy.port : h === 0 ? ctx.receiverPort : apps.receiver2.dicomPort!,
          files: half.map((x) => x.path),
          sops: half.map((x) => x.sopInstanceUid),
        }),
      );
    });
    await Promise.all(
      sends.map(async (send) => {
        const files = new Map(send.sops.map((sop, k) => [sop, send.files[k]]));
        const state: SendState = { acked, statuses, rounds: 0, ackCount: 0 };
        await sendUntilAcknowledged(send.port, CALLED_AE.elective, files, () => undefined, state);
      }),
    );
    const sessions = await haproxy.sessionsByServer();
    result.notes.push(`HAProxy sessions per receiver: ${[...sessions].map(([k, v]) => `${k}=${v}`).join(', ')}`);
    if ([...sessions.values()].filter((n) => n > 0).length < 2) {
      result.failures.push('HAProxy did not spread the associations over both receivers');
    }
    const sentAt = Date.now();
    await until(
      'all four transfers delivered',
      async () => {
        const received = receivedCounts(recipient.healthyDirs);
        if (![...acked].every((sop) => received.has(sop))) {
          return false;
        }
        const counts = await countFromDb(ctx, studyUids).catch(() => undefined);
        return (
          counts !== undefined && counts.transfers.length >= 4 && counts.transfers.every((t) => t.state === 'delivered')
        );
      },
      90_000,
    ).then(
      () => (result.recoveryMs = Date.now() - sentAt),
      (err: Error) => result.failures.push(err.message),
    );
    await haproxy.process.stop();
  } catch (err) {
    result.failures.push(`case error: ${(err as Error).message}`);
  }
  const received = receivedCounts(recipient.healthyDirs);
  const counts = await countFromDb(ctx, studyUids).catch(() => undefined);
  result.sent = allSops.length;
  result.acknowledged = acked.size;
  result.stored = counts?.stored.size ?? 0;
  result.delivered = allSops.filter((sop) => received.has(sop)).length;
  result.lost = [...acked].filter((sop) => !received.has(sop)).length;
  result.duplicated = allSops.filter((sop) => (received.get(sop) ?? 0) > 1).length;
  result.peakAssociations = ctx.recipientProxy.peakOpen;
  result.statuses = statuses.toString();
  if (counts) {
    const byState = new Tally();
    counts.transfers.forEach((t) => byState.add(t.state));
    result.transfer = `${counts.studies} studies, ${counts.transfers.length} transfers (${byState.toString()})`;
    if (counts.studies !== 4 || counts.transfers.length !== 4) {
      result.failures.push(
        `4 studies split over two receivers should make 4 studies and 4 transfers, found ${counts.studies} and ${counts.transfers.length}`,
      );
    }
    const ackedNotStored = [...acked].filter((sop) => !counts.stored.has(sop));
    if (ackedNotStored.length > 0) {
      result.failures.push(`${ackedNotStored.length} acknowledged instance(s) have no row in instances`);
    }
  } else {
    result.failures.push('could not count in MariaDB');
  }
  if (result.lost > 0) {
    result.failures.push(`${result.lost} acknowledged instance(s) never reached the recipient`);
  }
  if (result.duplicated > 0) {
    result.failures.push(`${result.duplicated} instance(s) were delivered more than once by two routers/forwarders`);
  }
  if (result.peakAssociations > RECIPIENT_MAX_ASSOCIATIONS) {
    result.failures.push(
      `${result.peakAssociations} associations open at once at the recipient across two forwarders (maxAssociations ${RECIPIENT_MAX_ASSOCIATIONS})`,
    );
  }
  if (result.peakAssociations < 1) {
    result.failures.push('the recipient never saw an association');
  }
  result.failures.push(...exitsSince(ctx, exitsBefore));
  await recipient.stop().catch(() => undefined);
  await Promise.all([apps.receiver2.process.stop(), apps.router2.process.stop(), apps.forwarder2.process.stop()]);
  result.durationMs = Date.now() - started;
  console.log(
    `    sent ${result.sent}, acknowledged ${result.acknowledged}, stored ${result.stored}, delivered ${result.delivered}, ` +
      `lost ${result.lost}, duplicated ${result.duplicated}, peak ${result.peakAssociations}; ${result.transfer}` +
      `${result.failures.length ? `\n    FAIL: ${result.failures.join('; ')}` : ''}`,
  );
  return result;
}

export async function runCases(ctx: FaultContext): Promise<CaseResult[]> {
  const { apps, redis, db, storage } = ctx;
  const restartAfter = (app: HubApp) => async (): Promise<void> => {
    await app.kill();
    await app.restart();
  };
  const only = process.env.FAULT_CASES?.split(',').map((s) => s.trim());
  const cases: CaseSpec[] = [
    { name: 'no fault (baseline)', folder: 'emergency', instances: 40, recoveryMs: 60_000 },
    {
      name: 'receiver SIGKILL mid-study',
      folder: 'emergency',
      instances: 80,
      fault: { when: 'acks', at: 25, inject: restartAfter(apps.receiver) },
      recoveryMs: 90_000,
    },
    {
      name: 'router SIGKILL mid-study',
      folder: 'elective',
      instances: 80,
      fault: { when: 'acks', at: 25, inject: () => apps.router.kill() },
      // Back only after the study has gone quiet (stableStudySeconds) with no router running.
      heal: async () => {
        await sleep(4000);
        await apps.router.restart();
      },
      recoveryMs: 90_000,
    },
    {
      name: 'forwarder SIGKILL mid-delivery',
      folder: 'emergency',
      instances: 100,
      fault: { when: 'delivered', at: 25, inject: restartAfter(apps.forwarder) },
      // The killed forwarder's job is found only by BullMQ's stalled-job check (30 s lock, 30 s interval).
      recoveryMs: 150_000,
    },
    {
      name: 'Redis FLUSHALL mid-study',
      folder: 'emergency',
      instances: 80,
      fault: { when: 'acks', at: 25, inject: async () => void (await redis.command('FLUSHALL')) },
      recoveryMs: 90_000,
    },
    {
      name: 'Redis SIGKILL, restarted 5 s later',
      folder: 'emergency',
      instances: 80,
      fault: {
        when: 'acks',
        at: 25,
        inject: async () => {
          await redis.process.kill();
          await sleep(5000);
          await redis.start();
        },
      },
      recoveryMs: 90_000,
    },
    {
      name: 'MariaDB SIGKILL, restarted 5 s later',
      folder: 'emergency',
      instances: 80,
      fault: {
        when: 'acks',
        at: 25,
        inject: async () => {
          await db.process.kill();
          await sleep(5000);
          await db.start();
        },
      },
      recoveryMs: 120_000,
    },
    {
      name: 'MariaDB frozen (SIGSTOP) 20 s',
      folder: 'emergency',
      instances: 80,
      fault: {
        when: 'acks',
        at: 25,
        inject: async () => {
          db.process.signal('SIGSTOP');
          await sleep(20_000);
          db.process.signal('SIGCONT');
        },
      },
      recoveryMs: 120_000,
    },
    {
      name: 'storage full for 5 s',
      folder: 'emergency',
      instances: 80,
      skip: storage.cannotFill,
      fault: {
        when: 'acks',
        at: 25,
        inject: async () => {
          try {
            storage.fill();
            await sleep(5000);
          } finally {
            storage.unfill();
          }
        },
      },
      recoveryMs: 90_000,
    },
    {
      name: 'association cut (storescu SIGKILL)',
      folder: 'emergency',
      instances: 80,
      cutSenderAt: 25,
      recoveryMs: 60_000,
    },
    {
      // A PACS that crashes: its associations die without A-ABORT and its port refuses until it is back, which is
      // once the study is routed (so the last round meets the crash too) and at least 3 s later.
      name: 'recipient SIGKILL mid-delivery, back once routed',
      folder: 'emergency',
      instances: 100,
      fault: {
        when: 'delivered',
        at: 25,
        inject: async ({ recipient, studyUid }) => {
          await recipient.crash();
          await ctx.recipientProxy.cut();
          try {
            await downUntilRouted(ctx, studyUid);
          } finally {
            await ctx.recipientProxy.restore();
          }
          await recipient.startHealthy();
        },
      },
      recoveryMs: 90_000,
    },
    {
      // The same crash behind a TCP load balancer that stays up: a connection is accepted, then dropped.
      name: 'recipient SIGKILL behind a TCP relay',
      folder: 'emergency',
      instances: 100,
      fault: {
        when: 'delivered',
        at: 25,
        inject: async ({ recipient, studyUid }) => {
          await recipient.crash();
          await downUntilRouted(ctx, studyUid);
          await recipient.startHealthy();
        },
      },
      recoveryMs: 90_000,
    },
    { name: 'recipient down 60 s', folder: 'emergency', instances: 40, recipient: 'down', recoveryMs: 150_000 },
    {
      name: 'recipient refuses (--refuse)',
      folder: 'emergency',
      instances: 40,
      recipient: 'refuse',
      recoveryMs: 90_000,
    },
    {
      name: 'recipient aborts (--abort-during)',
      folder: 'emergency',
      instances: 40,
      recipient: 'abort-during',
      recoveryMs: 90_000,
    },
    {
      name: 'recipient aborts (--abort-after)',
      folder: 'emergency',
      instances: 40,
      recipient: 'abort-after',
      recoveryMs: 90_000,
    },
    {
      name: 'recipient answers 0xA700',
      folder: 'emergency',
      instances: 40,
      recipient: 'out-of-resources',
      recoveryMs: 90_000,
    },
  ];
  const results: CaseResult[] = [];
  for (const spec of cases) {
    if (only && !only.some((o) => spec.name.includes(o))) {
      continue;
    }
    results.push(await runCase(ctx, spec));
    await ensureRunning(ctx, results[results.length - 1]);
  }
  if (!only || only.some((o) => 'two of each'.includes(o))) {
    results.push(await runTwoOfEach(ctx));
  }
  return results;
}

/** After a case, every base process must be up again for the next one (a case that failed may have left one down). */
async function ensureRunning(ctx: FaultContext, result: CaseResult): Promise<void> {
  ctx.db.process.signal('SIGCONT');
  ctx.storage.unfill();
  if (!ctx.db.process.alive) {
    result.failures.push('MariaDB was left down');
    await ctx.db.start();
  }
  if (!ctx.redis.process.alive) {
    result.failures.push('Redis was left down');
    await ctx.redis.start();
  }
  for (const app of [ctx.apps.receiver, ctx.apps.router, ctx.apps.forwarder]) {
    if (!app.process.alive) {
      result.failures.push(`${app.name} was not running after the case`);
      await app.start();
    }
  }
}
