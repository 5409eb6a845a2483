// Typed helpers to run DCMTK tools as DICOM peers from tests and benchmarks. Every process gets TCP_NODELAY=1:
// Debian's DCMTK leaves Nagle on, which costs 40–90 ms per instance in delayed-ACK stalls.
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type DcmtkTool =
  | 'storescu'
  | 'storescp'
  | 'echoscu'
  | 'findscu'
  | 'movescu'
  | 'dcmqrscp'
  | 'dump2dcm'
  | 'dcmodify'
  | 'dcmdump'
  | 'dcmcjpeg'
  | 'dcmcrle'
  | 'dcmcjpls'
  | 'pdf2dcm'
  | 'img2dcm';

export interface RunOptions {
  /** Added to process.env; TCP_NODELAY=1 is always forced. */
  env?: NodeJS.ProcessEnv;
  /** SIGKILL after this long (default 300 s); the result then has timedOut: true. */
  timeoutMs?: number;
  cwd?: string;
  /** Called with each complete line of stderr as it arrives (DCMTK logs to stderr). */
  onStderrLine?: (line: string, child: ChildProcess) => void;
  /** Called with each chunk of stdout as it arrives. */
  onStdout?: (chunk: string, child: ChildProcess) => void;
}

export interface DcmtkResult {
  /** Exit code, or null when the process was ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

const DEFAULT_TIMEOUT_MS = 300_000;
const live = new Set<ChildProcess>();

/** Environment for any process that speaks DICOM over TCP in tests and benchmarks. */
export function dcmtkEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, TCP_NODELAY: '1' };
}

/** SIGKILLs every DCMTK process started through this module that is still running (for exit and Ctrl-C handlers). */
export function killAllDcmtk(): void {
  for (const child of live) {
    if (child.pid !== undefined) {
      for (const pid of descendantPids(child.pid)) {
        killQuietly(pid, 'SIGKILL');
      }
    }
    child.kill('SIGKILL');
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Runs a DCMTK tool to completion and collects its output. Never rejects for a non-zero exit, only for spawn errors. */
export function runDcmtk(
  tool: DcmtkTool | string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<DcmtkResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(tool, args, {
      env: dcmtkEnv(options.env),
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(child);
    let stdout = '';
    let stderr = '';
    let partial = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout!.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      stdout += text;
      options.onStdout?.(text, child);
    });
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      stderr += text;
      if (options.onStderrLine) {
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          options.onStderrLine(line, child);
        }
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (partial && options.onStderrLine) {
        options.onStderrLine(partial, child);
      }
      resolve({ code, signal, stdout, stderr, timedOut, durationMs: Date.now() - started });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Log parsing (association outcome, per-file DIMSE status)

/** A-ASSOCIATE-RJ as DCMTK prints it, e.g. Rejected Permanent / Service User / Calling AE Title Not Recognized. */
export interface AssociationRejection {
  /** "Rejected Permanent" or "Rejected Transient". */
  result: string;
  /** "Service User", "Service Provider (ACSE Related Function)", "Service Provider (Presentation Related Function)". */
  source: string;
  /** e.g. "No Reason", "Calling AE Title Not Recognized", "Called AE Title Not Recognized", "Temporary Congestion". */
  reason: string;
  permanent: boolean;
}

export type AssociationOutcome =
  /** Negotiated; for storescu also released normally unless a store failed with halting on. */
  | 'accepted'
  | 'rejected'
  /** Accepted, then aborted or dropped by either side. */
  | 'aborted'
  /** No TCP connection or no A-ASSOCIATE answer. */
  | 'connection-failed'
  /** Nothing in the output said (e.g. the process was killed before requesting, or logging was silenced). */
  | 'unknown';

// DCMTK prints "I: text" with its default layout and "INFO: text" with the log config used below.
const LOG_PREFIX = /^(?:[FEWIDT]|FATAL|ERROR|WARN|INFO|DEBUG|TRACE): ?/;

function logLines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r$/, '').replace(LOG_PREFIX, ''));
}

/** Reads association acceptance, rejection (with result/source/reason) or abort out of a DCMTK SCU's log. */
export function parseAssociation(log: string): { association: AssociationOutcome; rejection?: AssociationRejection } {
  const lines = logLines(log);
  let association: AssociationOutcome = 'unknown';
  let rejection: AssociationRejection | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^Association Accepted/.test(line)) {
      association = 'accepted';
    } else if (/^Association Rejected/.test(line)) {
      association = 'rejected';
      const rs = /Result:\s*(.+?),\s*Source:\s*(.+)$/.exec(lines[i + 1] ?? '');
      const reason = /Reason:\s*(.+)$/.exec(lines[i + 2] ?? '');
      if (rs) {
        rejection = {
          result: rs[1].trim(),
          source: rs[2].trim(),
          reason: reason ? reason[1].trim() : '',
          permanent: /Permanent/i.test(rs[1]),
        };
      }
    } else if (/^Association Request Failed/.test(line) && association === 'unknown') {
      association = 'connection-failed';
    } else if (
      association === 'accepted' &&
      /(Peer Aborted Association|Association Aborted|Aborting Association|DIMSE Failed to receive message|Network connection closed|TCP I\/O Error)/i.test(
        line,
      )
    ) {
      association = 'aborted';
    }
  }
  return { association, rejection };
}

export interface StoreOutcome {
  /** The file as storescu named it. */
  file: string;
  sopInstanceUid?: string;
  /** DIMSE status of the C-STORE-RSP (0x0000 success, 0xA700 out of resources, 0x0110 processing failure, …). */
  status?: number;
  /** DCMTK's text for the status, e.g. "Success", "Refused: Out of resources". */
  statusText?: string;
  /** Set when no response came for this file (not sent, unreadable, no presentation context, connection lost). */
  error?: string;
}

/** Per-file outcomes from a storescu log written with STORESCU_LOG_CONFIG (status codes) or -v (status text). */
export function parseStoreOutcomes(log: string): StoreOutcome[] {
  const out: StoreOutcome[] = [];
  let current: StoreOutcome | undefined;
  let inIncoming = false;
  for (const line of logLines(log)) {
    let m: RegExpExecArray | null;
    if ((m = /^Sending file: (.+)$/.exec(line))) {
      current = { file: m[1] };
      out.push(current);
      inIncoming = false;
    } else if ((m = /^Bad DICOM file: (.+?): (.+)$/.exec(line))) {
      if (current?.file === m[1] && current.status === undefined) {
        current.error = m[2];
      } else {
        out.push({ file: m[1], error: m[2] });
      }
      current = undefined;
    } else if ((m = /^No presentation context for: \((\w+)\) (.+)$/.exec(line)) && current) {
      current.error = `no presentation context for ${m[2]}`;
    } else if (/INCOMING DIMSE MESSAGE/.test(line)) {
      inIncoming = true;
    } else if (/END DIMSE MESSAGE/.test(line)) {
      inIncoming = false;
    } else if ((m = /^Affected SOP Instance UID\s*: (.*)$/.exec(line)) && current) {
      current.sopInstanceUid = m[1].trim();
    } else if ((m = /^DIMSE Status\s*: 0x([0-9a-fA-F]{4}):?\s*(.*)$/.exec(line)) && current && inIncoming) {
      current.status = parseInt(m[1], 16);
      current.statusText = m[2].trim();
    } else if ((m = /^Received Store Response \((.+)\)$/.exec(line)) && current) {
      current.statusText = m[1];
      if (m[1] === 'Success') {
        current.status = 0;
      }
    } else if (
      (m = /^Store (?:SCU )?Failed(?:, file: .*?:)?\s*(.*)$/.exec(line)) &&
      current &&
      current.status === undefined
    ) {
      current.error = current.error ?? (m[1] || 'store failed');
    } else if (/^[0-9a-f]{4}:[0-9a-f]{4} /.test(line) && current && current.status === undefined && current.error) {
      // DCMTK prints the condition on the line after "Store Failed, file: …:".
      current.error = current.error === 'store failed' ? line : current.error;
    }
  }
  return out;
}

// Enables storescu's own DEBUG output (it then prints every C-STORE-RSP with its numeric status) while keeping the
// network and data set layers at INFO, so the log stays a few lines per file.
// With progress on, storescu also prints one '.' to stdout (flushed) per data PDV it sends.
const storescuLogConfigText = (progress: boolean): string =>
  [
    'log4cplus.rootLogger = INFO, console',
    'log4cplus.logger.dcmtk.apps.storescu = DEBUG',
    `log4cplus.logger.dcmtk.apps.storescu.progress = ${progress ? 'INFO' : 'OFF'}`,
    'log4cplus.appender.console = log4cplus::ConsoleAppender',
    'log4cplus.appender.console.logToStdErr = true',
    'log4cplus.appender.console.ImmediateFlush = true',
    'log4cplus.appender.console.layout = log4cplus::PatternLayout',
    'log4cplus.appender.console.layout.ConversionPattern = %p: %m%n',
    '',
  ].join('\n');

function storescuLogConfigPath(progress: boolean): string {
  const text = storescuLogConfigText(progress);
  // Shared by every process on the machine: same name, same content, written by rename so no reader sees half.
  const path = join(tmpdir(), `iehub-storescu-log${progress ? '-progress' : ''}.cfg`);
  if (!existsSync(path) || readFileSync(path, 'latin1') !== text) {
    const scratch = `${path}.${process.pid}`;
    writeFileSync(scratch, text);
    renameSync(scratch, path);
  }
  return path;
}

const LOGGING_ARGS = new Set([
  '-q',
  '--quiet',
  '-v',
  '--verbose',
  '-d',
  '--debug',
  '-ll',
  '--log-level',
  '-lc',
  '--log-config',
]);

// ---------------------------------------------------------------------------------------------------------------
// SCUs

export interface StorescuOptions extends RunOptions {
  /**
   * Parse the log into per-file outcomes (default true). Adds a log config that prints each response's status code,
   * unless extraArgs already choose the logging (-q/-v/-d/-ll/-lc); -v still yields status text.
   * Turn off for benchmarks.
   */
  parse?: boolean;
  /**
   * SIGKILL storescu once it has sent this many data PDVs (about 16 KiB each against a default peer) of its first
   * data set: the peer sees a data set cut off mid-stream and then a dropped TCP connection (no A-RELEASE, no
   * A-ABORT). Use a big instance (makeBigInstances) so the cut lands well inside it; check `stores[0].status` is
   * undefined to be sure it did. Implies parse, and cannot be combined with logging options in extraArgs.
   */
  killMidTransfer?: { afterPdvs: number };
}

const PROPOSE_ARG: Record<string, string> = {
  '1.2.840.10008.1.2.4.70': '-xs',
  '1.2.840.10008.1.2.4.57': '-xs',
  '1.2.840.10008.1.2.5': '-xr',
  '1.2.840.10008.1.2.4.80': '-xt',
  '1.2.840.10008.1.2.4.81': '-xu',
  '1.2.840.10008.1.2.4.90': '-xv',
  '1.2.840.10008.1.2.4.91': '-xw',
  '1.2.840.10008.1.2.4.50': '-xy',
  '1.2.840.10008.1.2.4.51': '-xx',
};
const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2']);

/**
 * The storescu proposal option for a batch of files with these transfer syntaxes. storescu proposes only
 * uncompressed syntaxes by default and then fails to "convert" a compressed file (0006:020e); each -x option adds
 * one compressed syntax, so a batch may mix uncompressed files with at most one compressed syntax.
 */
export function storescuProposalArgs(transferSyntaxUids: Iterable<string>): string[] {
  const compressed = new Set([...transferSyntaxUids].filter((ts) => !UNCOMPRESSED.has(ts)));
  if (compressed.size === 0) {
    return [];
  }
  if (compressed.size > 1) {
    throw new Error(
      `storescu can propose one compressed syntax per run; split the batch: ${[...compressed].join(', ')}`,
    );
  }
  const [ts] = compressed;
  const arg = PROPOSE_ARG[ts];
  if (!arg) {
    throw new Error(`no storescu proposal option for transfer syntax ${ts}`);
  }
  return [arg];
}

export interface StorescuResult extends DcmtkResult {
  association: AssociationOutcome;
  rejection?: AssociationRejection;
  /** One entry per file storescu tried to send, in order. Empty when parsing is off. */
  stores: StoreOutcome[];
  /** True when killMidTransfer fired. */
  killed: boolean;
  /** Data PDVs storescu reported sent when it was killed. */
  pdvsSentBeforeKill?: number;
}

/**
 * Sends files (or a directory, scanned recursively) with storescu over one association.
 * extraArgs go before the peer, e.g. ['-nh'] to keep going after a failed store, ['-xs'] to propose JPEG lossless.
 */
export async function storescu(
  host: string,
  port: number,
  callingAe: string,
  calledAe: string,
  files: string | readonly string[],
  extraArgs: readonly string[] = [],
  options: StorescuOptions = {},
): Promise<StorescuResult> {
  const list = typeof files === 'string' ? [files] : [...files];
  if (list.length === 0) {
    throw new Error('storescu: no files to send');
  }
  const scanDirs = list.some((f) => existsSync(f) && statSync(f).isDirectory()) ? ['+sd', '+r'] : [];
  const parse = options.parse !== false || options.killMidTransfer !== undefined;
  const kill = options.killMidTransfer;
  if (kill && extraArgs.some((a) => LOGGING_ARGS.has(a))) {
    throw new Error('storescu: killMidTransfer needs its own logging; drop -q/-v/-d/-ll/-lc from extraArgs');
  }
  const logging =
    parse && !extraArgs.some((a) => LOGGING_ARGS.has(a)) ? ['-lc', storescuLogConfigPath(kill !== undefined)] : [];
  const args = [
    ...logging,
    ...scanDirs,
    '-aet',
    callingAe,
    '-aec',
    calledAe,
    ...extraArgs,
    host,
    String(port),
    ...list,
  ];
  let killed = false;
  let pdvs = 0;
  let started = false;
  const onStdout = (chunk: string, child: ChildProcess): void => {
    options.onStdout?.(chunk, child);
    if (!kill || killed) {
      return;
    }
    // Progress output is "XMIT: " then one '.' per PDV, then a newline when the data set is done.
    for (const ch of chunk) {
      if (ch === ':') {
        started = true;
      } else if (ch === '.' && started) {
        pdvs++;
      }
    }
    if (pdvs >= kill.afterPdvs) {
      killed = true;
      child.kill('SIGKILL');
    }
  };
  const result = await runDcmtk('storescu', args, { ...options, onStdout });
  const log = `${result.stdout}\n${result.stderr}`;
  return {
    ...result,
    ...(parse ? parseAssociation(log) : { association: 'unknown' as const }),
    stores: parse ? parseStoreOutcomes(log) : [],
    killed,
    ...(killed ? { pdvsSentBeforeKill: pdvs } : {}),
  };
}

export interface EchoscuResult extends DcmtkResult {
  /** The association was accepted and the C-ECHO answered with success. */
  ok: boolean;
  association: AssociationOutcome;
  rejection?: AssociationRejection;
}

/** One C-ECHO. */
export async function echoscu(
  host: string,
  port: number,
  callingAe: string,
  calledAe: string,
  extraArgs: readonly string[] = [],
  options: RunOptions = {},
): Promise<EchoscuResult> {
  const verbose = extraArgs.some((a) => LOGGING_ARGS.has(a)) ? [] : ['-v'];
  const result = await runDcmtk(
    'echoscu',
    [...verbose, '-aet', callingAe, '-aec', calledAe, ...extraArgs, host, String(port)],
    { timeoutMs: 30_000, ...options },
  );
  const parsed = parseAssociation(`${result.stdout}\n${result.stderr}`);
  return { ...result, ...parsed, ok: result.code === 0 && parsed.association !== 'rejected' };
}

/** Repeats C-ECHO until it succeeds or timeoutMs passes; returns the last attempt. */
export async function waitForEcho(
  host: string,
  port: number,
  callingAe: string,
  calledAe: string,
  timeoutMs: number,
): Promise<EchoscuResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await echoscu(host, port, callingAe, calledAe, ['-to', '5', '-ta', '5'], { timeoutMs: 10_000 });
    if (result.ok || Date.now() >= deadline) {
      return result;
    }
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Ports and processes

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP port that was free on 127.0.0.1 a moment ago (bind port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Listening TCP sockets by port (with their inodes), from /proc/net/tcp{,6}; undefined where /proc is missing. */
function listeningSockets(): Map<number, string[]> | undefined {
  const ports = new Map<number, string[]>();
  let readAny = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    readAny = true;
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols[1] is local_address "0100007F:2B67", cols[3] the state (0A is LISTEN), cols[9] the socket inode.
      if (cols.length > 9 && cols[3] === '0A') {
        const port = parseInt(cols[1].split(':')[1], 16);
        ports.set(port, [...(ports.get(port) ?? []), cols[9]]);
      }
    }
  }
  return readAny ? ports : undefined;
}

function ownsSocket(pids: readonly number[], inodes: readonly string[]): boolean {
  const wanted = new Set(inodes.map((i) => `socket:[${i}]`));
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (wanted.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) {
          return true;
        }
      } catch {
        // closed while we looked
      }
    }
  }
  return false;
}

function canConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, host);
  });
}

export interface WaitForPortOptions {
  /** Used only where /proc is unavailable, to probe by connecting. Default 127.0.0.1. */
  host?: string;
  /** Require the listening socket to belong to this process or one of its descendants (not a stranger's server). */
  pid?: number;
  /** Fail early once this returns false (the server process died). */
  isAlive?: () => boolean;
}

/**
 * Resolves once something listens on the port, rejects after timeoutMs. On Linux it reads /proc/net/tcp, so the
 * server never sees a probe connection (a DICOM SCP would log or audit a bare TCP connect); elsewhere it connects.
 */
export async function waitForPort(port: number, timeoutMs: number, options: WaitForPortOptions = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sockets = listeningSockets();
    if (sockets) {
      const inodes = sockets.get(port);
      if (inodes && (options.pid === undefined || ownsSocket([options.pid, ...descendantPids(options.pid)], inodes))) {
        return;
      }
    } else if (await canConnect(port, options.host ?? '127.0.0.1')) {
      return;
    }
    if (options.isAlive && !options.isAlive()) {
      throw new Error(`process exited before listening on port ${port}`);
    }
    if (Date.now() >= deadline) {
      throw new Error(`nothing listening on port ${port} after ${timeoutMs} ms`);
    }
    await sleep(25);
  }
}

/** Ids of the processes running now, from /proc; none where there is no /proc. */
export function runningPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * The fields of /proc/<pid>/stat from the state on (field 3, so field n is at n - 3), or undefined once the process
 * has gone. They are taken after the last ')': the command name before them may hold spaces and parentheses.
 */
export function procStatFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Process ids of every descendant of pid (children, grandchildren, …), read from /proc. */
export function descendantPids(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of runningPids()) {
    const fields = procStatFields(entry);
    if (fields) {
      parentOf.set(entry, Number(fields[1])); // field 4, the parent's id
    }
  }
  const result: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, ppid] of parentOf) {
      if (ppid === parent) {
        result.push(child);
        queue.push(child);
      }
    }
  }
  return result;
}

/** Sends SIGTERM, waits up to graceMs for exit, then SIGKILLs the process and any descendants left. */
export async function stopProcess(
  child: ChildProcess,
  graceMs = 5000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const exited =
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
      : new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
          child.once('exit', (code, signal) => resolve({ code, signal })),
        );
  const pid = child.pid;
  const descendants = pid !== undefined ? descendantPids(pid) : [];
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const status = await exited;
  clearTimeout(timer);
  for (const d of descendants) {
    killQuietly(d, 'SIGKILL');
  }
  return status;
}

// ---------------------------------------------------------------------------------------------------------------
// storescp

export interface StorescpOptions {
  /** Default: a free port (retried on a bind race). */
  port?: number;
  /** Default STORESCP. storescp itself answers any called AE. */
  aeTitle?: string;
  /** Must exist. */
  outputDir: string;
  /** Fork a child per association (needed for parallel associations). */
  fork?: boolean;
  /**
   * Default 'verbose' (-v). Use 'quiet' for benchmarks. 'debug' prints every DIMSE message (e.g. the
   * AffectedSOPInstanceUID as received).
   */
  logLevel?: 'quiet' | 'info' | 'verbose' | 'debug';
  /** Anything else, e.g. ['+xa'] to accept compressed syntaxes, ['--refuse'], ['--abort-during'], ['+B']. */
  extraArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the port to listen (default 10 s). */
  startTimeoutMs?: number;
}

export interface StorescpHandle {
  port: number;
  aeTitle: string;
  outputDir: string;
  pid: number;
  child: ChildProcess;
  /** Everything storescp printed so far (stdout then stderr, each in order). */
  log(): string;
  /** The log without debug ("D: ") lines. */
  events(): string[];
  /**
   * Calls listener with the running count each time text appears in the log from now on, as the output arrives
   * (no polling, so a benchmark waiting on it does not compete for the CPU it measures). Returns how to stop.
   */
  onLogged(text: string, listener: (count: number) => void): () => void;
  /**
   * Resolves with the first log line matching pattern (storescp reports an association's end a moment after the SCU
   * exits, so wait for it rather than sleeping); rejects after timeoutMs (default 10 s).
   */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, wait for exit (SIGKILL after 5 s), and kill any forked association handlers left behind. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const LOG_LEVEL_ARGS: Record<NonNullable<StorescpOptions['logLevel']>, string[]> = {
  quiet: ['-q'],
  info: [],
  verbose: ['-v'],
  debug: ['-d'],
};

/** Starts storescp and resolves once it listens. */
export async function startStorescp(options: StorescpOptions): Promise<StorescpHandle> {
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await startStorescpOnce(port, options);
    } catch (err) {
      if (options.port !== undefined || attempt >= 3) {
        throw err;
      }
    }
  }
}

interface LogWatch {
  text: string;
  count: number;
  /** The end of each stream's output so far, shorter than text. */
  carry: Record<'stdout' | 'stderr', string>;
  listener: (count: number) => void;
}

/** The last n characters of text (none for n = 0). */
function tail(text: string, n: number): string {
  return text.slice(Math.max(0, text.length - n));
}

async function startStorescpOnce(port: number, options: StorescpOptions): Promise<StorescpHandle> {
  if (!existsSync(options.outputDir)) {
    throw new Error(`storescp output directory does not exist: ${options.outputDir}`);
  }
  const aeTitle = options.aeTitle ?? 'STORESCP';
  const args = [
    ...LOG_LEVEL_ARGS[options.logLevel ?? 'verbose'],
    ...(options.fork ? ['--fork'] : []),
    '-aet',
    aeTitle,
    '--output-directory',
    options.outputDir,
    ...(options.extraArgs ?? []),
    String(port),
  ];
  const child = spawn('storescp', args, { env: dcmtkEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let stdout = '';
  let stderr = '';
  // What onLogged listens for: each chunk is searched once, with the end of the one before it (a match may straddle
  // two chunks).
  const watches = new Set<LogWatch>();
  const onOutput = (stream: 'stdout' | 'stderr', chunk: string) => {
    for (const watch of watches) {
      const searched = watch.carry[stream] + chunk;
      const found = searched.split(watch.text).length - 1;
      watch.carry[stream] = tail(searched, watch.text.length - 1);
      for (let i = 0; i < found; i++) {
        watch.count += 1;
        watch.listener(watch.count);
      }
    }
  };
  child.stdout!.on('data', (d: Buffer) => {
    const chunk = d.toString('latin1');
    stdout += chunk;
    onOutput('stdout', chunk);
  });
  child.stderr!.on('data', (d: Buffer) => {
    const chunk = d.toString('latin1');
    stderr += chunk;
    onOutput('stderr', chunk);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  exited.catch(() => undefined);
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  try {
    await waitForPort(port, options.startTimeoutMs ?? 10_000, { pid: child.pid, isAlive: alive });
  } catch (err) {
    await stopProcess(child, 1000);
    throw new Error(`storescp did not start on port ${port}: ${(err as Error).message}\n${stdout}${stderr}`);
  }
  return {
    port,
    aeTitle,
    outputDir: options.outputDir,
    pid: child.pid!,
    child,
    log: () => `${stdout}${stderr}`,
    events: () => `${stdout}${stderr}`.split('\n').filter((l) => l !== '' && !l.startsWith('D: ')),
    onLogged: (text: string, listener: (count: number) => void) => {
      const watch: LogWatch = { text, count: 0, carry: { stdout: '', stderr: '' }, listener };
      watches.add(watch);
      return () => watches.delete(watch);
    },
    waitForLog: async (pattern: RegExp, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = `${stdout}${stderr}`.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) {
          return line;
        }
        if (Date.now() >= deadline) {
          throw new Error(`storescp logged nothing matching ${pattern} within ${timeoutMs} ms`);
        }
        await sleep(20);
      }
    },
    exited,
    stop: () => stopProcess(child),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Query/retrieve peers

/** One element of a dcmdump listing by keyword: `(0010,0020) LO [X123]   #  4, 1 PatientID` → PatientID: X123. */
export function parseDcmdump(dump: string): Record<string, string> {
  const elements: Record<string, string> = {};
  for (const line of dump.split('\n')) {
    const match =
      /^\([0-9a-f]{4},[0-9a-f]{4}\) [A-Z]{2} (?:\[(.*?)\]|(\(no value available\))|=?(\S*)).*#\s*\d+,\s*\d+\s+(\S+)\s*$/i.exec(
        line,
      );
    if (match) {
      elements[match[4]] = (match[1] ?? match[3] ?? '').trimEnd();
    }
  }
  return elements;
}

export interface FindscuResult extends DcmtkResult {
  /** Each pending response's identifier, by keyword, in the order received. */
  matches: Array<Record<string, string>>;
  /** The final C-FIND-RSP status, e.g. 0x0000; undefined if none was logged. */
  finalStatus?: number;
}

/**
 * findscu against an SCP (Study Root unless `patientRoot`): `keys` are `Keyword=value` or `Keyword` (a
 * return key). Responses are extracted (-X) into `workDir` and read back with dcmdump.
 */
export async function findscu(
  host: string,
  port: number,
  callingAeTitle: string,
  calledAeTitle: string,
  level: 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE',
  keys: string[],
  workDir: string,
  options: { patientRoot?: boolean } = {},
): Promise<FindscuResult> {
  const args = [
    '-v',
    options.patientRoot ? '-P' : '-S',
    '-X',
    '-aet',
    callingAeTitle,
    '-aec',
    calledAeTitle,
    '-k',
    `QueryRetrieveLevel=${level}`,
    ...keys.flatMap((key) => ['-k', key]),
    host,
    String(port),
  ];
  for (const name of readdirSync(workDir)) {
    if (/^rsp\d+\.dcm$/.test(name)) {
      renameSync(join(workDir, name), join(workDir, `old-${Date.now()}-${name}`));
    }
  }
  const result = await runDcmtk('findscu', args, { cwd: workDir, timeoutMs: 60_000 });
  const files = readdirSync(workDir)
    .filter((name) => /^rsp\d+\.dcm$/.test(name))
    .sort();
  const matches: Array<Record<string, string>> = [];
  for (const name of files) {
    const dump = await runDcmtk('dcmdump', [join(workDir, name)]);
    matches.push(parseDcmdump(dump.stdout));
  }
  return { ...result, matches, finalStatus: finalDimseStatus(result.stderr + result.stdout, 'Find') };
}

function finalDimseStatus(log: string, operation: 'Find' | 'Move'): number | undefined {
  // e.g. "I: Received Final Find Response (Success)" with -v, and "DIMSE Status : 0x0000: Success" with -d.
  const statuses = [...log.matchAll(/DIMSE Status\s*:\s*0x([0-9a-f]{4})/gi)].map((match) => parseInt(match[1], 16));
  if (statuses.length > 0) {
    return statuses[statuses.length - 1];
  }
  const final = new RegExp(`Received Final ${operation} Response \\(([^)]*)\\)`, 'i').exec(log);
  if (!final) {
    return undefined;
  }
  return /^Success/i.test(final[1]) ? 0 : undefined;
}

export interface MovescuResult extends DcmtkResult {
  finalStatus?: number;
  /** Counts from the final C-MOVE-RSP (-d logs them). */
  completed?: number;
  failed?: number;
  warning?: number;
  /** Number of pending responses received. */
  pending: number;
}

/**
 * movescu asking the SCP to move `keys` to `moveDestination`. With `receivePort`, movescu itself listens
 * there as the destination's store SCP and writes what arrives into `outputDir`.
 */
export async function movescu(
  host: string,
  port: number,
  callingAeTitle: string,
  calledAeTitle: string,
  moveDestination: string,
  level: 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE',
  keys: string[],
  options: { receivePort?: number; outputDir?: string; patientRoot?: boolean } = {},
): Promise<MovescuResult> {
  const args = [
    '-d',
    options.patientRoot ? '-P' : '-S',
    '-aet',
    callingAeTitle,
    '-aec',
    calledAeTitle,
    '-aem',
    moveDestination,
    ...(options.receivePort !== undefined ? ['--port', String(options.receivePort)] : []),
    ...(options.outputDir ? ['-od', options.outputDir] : []),
    '-k',
    `QueryRetrieveLevel=${level}`,
    ...keys.flatMap((key) => ['-k', key]),
    host,
    String(port),
  ];
  const result = await runDcmtk('movescu', args, { timeoutMs: 120_000 });
  const log = result.stderr + result.stdout;
  const count = (name: string) => {
    const all = [...log.matchAll(new RegExp(`${name}\\s*:\\s*(\\d+)`, 'gi'))];
    return all.length > 0 ? Number(all[all.length - 1][1]) : undefined;
  };
  return {
    ...result,
    finalStatus: finalDimseStatus(log, 'Move'),
    completed: count('Completed Suboperations'),
    failed: count('Failed Suboperations'),
    warning: count('Warning Suboperations'),
    pending: [...log.matchAll(/DIMSE Status\s*:\s*0xff00/gi)].length,
  };
}
