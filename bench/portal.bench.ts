// Portal benchmark: how long GET /api/transfers takes on a hub database seeded with 100,000 transfers and
// 1,000,000 audit events (the goal is under 200 ms for a first page with filters), how long the audit search
// takes on the same data, how big the built web app is (gzip), and how long the transfers page takes to render
// in Chromium. The portal runs as the built app (dist/apps/portal) in a child process, on a database of its own
// (iehub_bench_portal, dropped and recreated unless --reuse); the seed is bench/support/portal-seed.ts.
//
//   npm run bench:portal -- [--transfers 100000] [--audit-events 1000000] [--rounds 20] [--reuse] [--no-browser]
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { openDatabase } from '@hub/db';
import { freePort, stopProcess } from '../test/support/dcmtk';
import { readFlags, wholeNumber } from './support/args';
import { installCleanupHandlers, removeDir, trackDir } from './support/cleanup';
import { addBenchUsers, BENCH_PASSWORD, benchLogin } from './support/portal-session';
import { seedPortalData } from '../test/support/portal-seed';
import { recreateDatabase, repoRoot, spawnLogged } from './support/receivers';
import { median } from './support/report';

const DATABASE_URL = 'mysql://root@127.0.0.1:3306/iehub_bench_portal';
/** The cases the goal is about: the first page of the transfer listing, with and without filters. */
const GOAL_CASES = new Set([
  'operator, first page',
  'operator, state + folder',
  'operator, date range + without report',
  'operator, patient ID',
  'trust-admin, first page (own trust)',
  'trust-admin, state=failed',
  'clinician, first page (restricted hidden)',
]);
const CHROMIUM = '/usr/bin/chromium';
const TRUSTS = 12;

interface Options {
  transfers: number;
  auditEvents: number;
  rounds: number;
  reuse: boolean;
  browser: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { transfers: 100_000, auditEvents: 1_000_000, rounds: 20, reuse: false, browser: true };
  readFlags(
    argv,
    'usage: node dist/bench/portal.bench.js [--transfers N] [--audit-events N] [--rounds N] [--reuse] [--no-browser]',
    {
      '--transfers': (value) => (options.transfers = wholeNumber('--transfers', value)),
      '--audit-events': (value) => (options.auditEvents = wholeNumber('--audit-events', value)),
      '--rounds': (value) => (options.rounds = wholeNumber('--rounds', value)),
      '--reuse': { switch: () => (options.reuse = true) },
      '--no-browser': { switch: () => (options.browser = false) },
    },
  );
  return options;
}

/** Twelve trusts in a ring of agreements (each sends to the next two), one push node each. */
function portalConfig(httpPort: number, dicomPort: number, storageDir: string): unknown {
  const codes = Array.from({ length: TRUSTS }, (_, i) => `SEED${String(i + 1).padStart(2, '0')}`);
  return {
    hub: { aeTitle: 'IEP_HUB', bindAddress: '127.0.0.1', dicomPort, httpPort, storageDir },
    trusts: codes.map((code, i) => ({
      code,
      name: `Seeded trust ${i + 1}`,
      patientIdIssuer: code,
      inbound: { emergency: `${code}_EMER`, elective: `${code}_ELEC` },
      nodes: [
        {
          aeTitle: `${code}_PACS`,
          host: '127.0.0.1',
          port: 5000 + i,
          allowedIps: ['127.0.0.1'],
          send: true,
          receive: 'pull',
        },
      ],
    })),
    agreements: codes.flatMap((code, i) => [
      { from: code, to: codes[(i + 1) % codes.length], folders: ['emergency', 'elective'] },
      { from: code, to: codes[(i + 2) % codes.length], folders: ['emergency', 'elective'] },
    ]),
  };
}

async function waitForHttp(base: string, tail: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${base}/api/health`);
      if (response.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`the portal did not answer on ${base} within 120 s:\n${tail()}`);
}

interface Timing {
  name: string;
  medianMs: number;
  p95Ms: number;
  minMs: number;
  rows: number;
  total: number;
}

async function timeRequest(base: string, token: string, name: string, path: string, rounds: number): Promise<Timing> {
  const samples: number[] = [];
  let rows = 0;
  let total = 0;
  for (let round = -3; round < rounds; round++) {
    const started = process.hrtime.bigint();
    const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { items?: unknown[]; total?: number };
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (!response.ok) {
      throw new Error(`${name}: GET ${path} answered ${response.status}: ${JSON.stringify(body)}`);
    }
    rows = body.items?.length ?? 0;
    total = body.total ?? 0;
    if (round >= 0) {
      samples.push(ms);
    }
  }
  samples.sort((a, b) => a - b);
  return {
    name,
    medianMs: median(samples),
    p95Ms: samples[Math.min(samples.length - 1, Math.ceil(samples.length * 0.95) - 1)],
    minMs: samples[0],
    rows,
    total,
  };
}

/**
 * The built web app's JavaScript and CSS, raw and gzipped: what index.html loads on a first visit, and what
 * is fetched only when needed (the viewer and its codecs, lazily imported).
 */
function bundleSize(root: string): { first: Size; onDemand: Size } {
  const dir = join(root, 'dist', 'portal-web');
  const index = readFileSync(join(dir, 'index.html'), 'utf8');
  const entry = new Set([...index.matchAll(/(?:src|href)="\/?(assets\/[^"]+\.(?:js|css))"/g)].map((match) => match[1]));
  const first: Size = { files: 0, rawKiB: 0, gzipKiB: 0 };
  const onDemand: Size = { files: 0, rawKiB: 0, gzipKiB: 0 };
  for (const name of readdirSync(join(dir, 'assets'))) {
    if (/\.(js|css|wasm)$/.test(name)) {
      const content = readFileSync(join(dir, 'assets', name));
      const size = entry.has(`assets/${name}`) ? first : onDemand;
      size.files++;
      size.rawKiB += content.length / 1024;
      size.gzipKiB += gzipSync(content, { level: 9 }).length / 1024;
    }
  }
  return { first, onDemand };
}

interface Size {
  files: number;
  rawKiB: number;
  gzipKiB: number;
}

/**
 * In Chromium: the log-in page's first render after navigation, and the transfers page's first render (its
 * first table row) after "I acknowledge", each over `rounds` fresh browser contexts.
 */
async function firstRender(base: string, rounds: number): Promise<{ loginMs: number[]; transfersMs: number[] }> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  const loginMs: number[] = [];
  const transfersMs: number[] = [];
  try {
    for (let round = -1; round < rounds; round++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const navigated = Date.now();
      await page.goto(base);
      await page.getByRole('button', { name: 'Log in' }).waitFor();
      const loginShown = Date.now() - navigated;
      await page.getByLabel('Username').fill('bench-admin');
      await page.getByLabel('Password', { exact: true }).fill(BENCH_PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      const acknowledge = page.getByRole('button', { name: 'I acknowledge' });
      await acknowledge.waitFor();
      const clicked = Date.now();
      await acknowledge.click();
      await page.locator('table tbody tr').first().waitFor();
      const transfersShown = Date.now() - clicked;
      if (round >= 0) {
        loginMs.push(loginShown);
        transfersMs.push(transfersShown);
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return { loginMs, transfersMs };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  installCleanupHandlers();
  const root = repoRoot();
  const workDir = trackDir(mkdtempSync(join(tmpdir(), 'iehub-bench-portal-')));
  const httpPort = await freePort();
  let dicomPort = await freePort();
  while (dicomPort === httpPort) {
    dicomPort = await freePort();
  }
  const configFile = join(workDir, 'hub.yaml');
  writeFileSync(configFile, stringify(portalConfig(httpPort, dicomPort, join(workDir, 'store'))));
  if (!options.reuse) {
    await recreateDatabase(DATABASE_URL);
  }
  const { child, tail } = spawnLogged(process.execPath, [resolve(root, 'dist/apps/portal/src/main.js')], {
    env: {
      ...process.env,
      HUB_CONFIG: configFile,
      DATABASE_URL,
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: 'iehub-bench-portal',
      LOG_LEVEL: 'warn',
    },
    cwd: root,
    logFile: join(workDir, 'portal.log'),
  });
  const base = `http://127.0.0.1:${httpPort}`;
  try {
    await waitForHttp(base, tail);
    const dataSource = await openDatabase(DATABASE_URL);
    try {
      const [{ n: seeded }] = (await dataSource.query('SELECT COUNT(*) AS n FROM transfers')) as Array<{ n: string }>;
      if (Number(seeded) === 0) {
        console.log(`seeding ${options.transfers} transfers and ${options.auditEvents} audit events…`);
        const result = await seedPortalData(dataSource, {
          transfers: options.transfers,
          auditEvents: options.auditEvents,
        });
        console.log(
          `seeded ${result.transfers} transfers, ${result.instances} instances, ${result.auditEvents} audit events ` +
            `in ${result.seconds.toFixed(1)} s`,
        );
      } else {
        console.log(`reusing ${seeded} seeded transfers`);
      }
      const [trust] = (await dataSource.query("SELECT id FROM trusts WHERE code = 'SEED01'")) as Array<{ id: string }>;
      await addBenchUsers(
        (sql, parameters) => dataSource.query(sql, parameters),
        [
          ['bench-operator', 'operator', null],
          ['bench-admin', 'trust-admin', trust.id],
          ['bench-clinician', 'clinician', trust.id],
          ['bench-governance', 'governance', null],
        ],
      );
    } finally {
      await dataSource.destroy();
    }
    const operator = await benchLogin(base, 'bench-operator');
    const admin = await benchLogin(base, 'bench-admin');
    const clinician = await benchLogin(base, 'bench-clinician');
    const governance = await benchLogin(base, 'bench-governance');
    const timings: Timing[] = [];
    const cases: Array<[string, string, string]> = [
      ['operator, first page', operator, '/api/transfers'],
      ['operator, state + folder', operator, '/api/transfers?state=delivered&folder=emergency'],
      [
        'operator, date range + without report',
        operator,
        '/api/transfers?from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z&withoutReport=true',
      ],
      ['operator, page 500 by expiry', operator, '/api/transfers?page=500&sort=expires&order=asc'],
      ['operator, by sender → recipient', operator, '/api/transfers?sort=exchange'],
      ['operator, patient ID', operator, '/api/transfers?patientId=SP000042'],
      ['trust-admin, first page (own trust)', admin, '/api/transfers?pageSize=25'],
      ['trust-admin, state=failed', admin, '/api/transfers?state=failed&pageSize=25'],
      ['clinician, first page (restricted hidden)', clinician, '/api/transfers?pageSize=25'],
      ['governance, audit first page', governance, '/api/audit?pageSize=100'],
      ['governance, audit by patient', governance, '/api/audit?patientId=SP000042'],
      ['governance, who accessed a patient', governance, '/api/audit/patients/SP000042/access'],
    ];
    for (const [name, token, path] of cases) {
      timings.push(await timeRequest(base, token, name, path, options.rounds));
    }
    console.log(`\nGET timings over ${options.rounds} rounds each (after 3 warm-up requests), ms:`);
    console.log('| request | median | p95 | min | rows | total |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const t of timings) {
      console.log(
        `| ${t.name} | ${t.medianMs.toFixed(1)} | ${t.p95Ms.toFixed(1)} | ${t.minMs.toFixed(1)} | ${t.rows} | ${t.total} |`,
      );
    }
    // The goal (under 200 ms) is for a first page of transfers, with filters: not a deep page or another sort.
    const goal = timings.filter((t) => GOAL_CASES.has(t.name));
    const worst = Math.max(...goal.map((t) => t.medianMs));
    console.log(`\nslowest first-page transfer listing, median: ${worst.toFixed(1)} ms (goal < 200 ms)`);
    const size = bundleSize(root);
    const show = (label: string, value: Size) =>
      `${label}: ${value.files} files, ${value.rawKiB.toFixed(0)} KiB raw, ${value.gzipKiB.toFixed(0)} KiB gzip`;
    console.log(
      `\nweb app ${show('first load (index.html)', size.first)}; ${show('on demand (viewer, codecs)', size.onDemand)}`,
    );
    if (options.browser) {
      const render = await firstRender(base, 5);
      console.log(
        `first render in Chromium (median of 5, range): log-in page ${median(render.loginMs)} ms ` +
          `(${Math.min(...render.loginMs)}–${Math.max(...render.loginMs)}); transfers page after "I acknowledge" ` +
          `${median(render.transfersMs)} ms (${Math.min(...render.transfersMs)}–${Math.max(...render.transfersMs)})`,
      );
    }
  } finally {
    await stopProcess(child, 15_000);
    removeDir(workDir);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
