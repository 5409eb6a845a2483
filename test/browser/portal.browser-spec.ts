import { AccountsService, Role } from '@hub/accounts';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Browser, BrowserContext, Locator, Page, Request, chromium } from 'playwright-core';
import { StorescpHandle, startStorescp, storescu } from '../support/dcmtk';
import { makeStudy } from '../support/dicom-factory';
import { TestHub, ra7PushNodeAt, startTestHub } from '../support/test-hub';
import { waitFor } from '../support/wait-for';

// The web portal in Debian's Chromium, against the real hub (receiver, router, forwarder, portal) on real
// MariaDB and Redis, with storescu as the sending PACS and storescp as the recipient. Elements are found
// as a person finds them: by role and label. Screenshots go to test-output/browser/ (not committed).

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(__dirname, '..', '..', 'test-output', 'browser');
const HOST = '127.0.0.1';

const EXPECTED_LINKS: Record<Role, string[]> = {
  operator: ['Transfers', 'Quarantine', 'Agreements', 'Audit', 'Fetches', 'Users', 'Operations'],
  'trust-admin': ['Transfers', 'Quarantine', 'Agreements', 'Fetches'],
  governance: ['Transfers', 'Quarantine', 'Agreements', 'Audit', 'Fetches'],
  clinician: ['Transfers', 'Fetches'],
};

const USERS: Record<Role, { username: string; trust?: string }> = {
  operator: { username: 'web-operator' },
  'trust-admin': { username: 'web-admin-ra7', trust: 'RA7' },
  governance: { username: 'web-governance' },
  clinician: { username: 'web-clinician-ra7', trust: 'RA7' },
};
const password = (role: Role) => `${USERS[role].username}-Secret-1`;

// playwright-core has no web-first assertions (those come with @playwright/test): these wait as they do.
const TIMEOUT_MS = 15_000;

async function visible(locator: Locator): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout: TIMEOUT_MS });
}

/** Retries a Jest assertion until it passes or the deadline, then fails with its last error. */
async function until(assertion: () => void | Promise<void>): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const count = (locator: Locator, n: number) => until(async () => expect(await locator.count()).toBe(n));
const text = (locator: Locator, pattern: string | RegExp) =>
  until(async () => expect(await locator.textContent()).toMatch(pattern));

describe('portal in the browser', () => {
  let hub: TestHub;
  let scp: StorescpHandle;
  let work: string;
  let baseUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
    }
    mkdirSync(SHOTS, { recursive: true });
    work = mkdtempSync(path.join(tmpdir(), 'iehub-browser-'));
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir: mkdtempSync(path.join(work, 'pacs-')) });
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder', 'portal'],
      stableStudySeconds: 1,
      configure: ra7PushNodeAt(scp.port),
    });
    const server = hub.http as unknown as Server;
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    baseUrl = `http://${HOST}:${(server.address() as AddressInfo).port}`;
    const accounts = hub.app.get(AccountsService);
    for (const role of Object.keys(USERS) as Role[]) {
      await accounts.create({ ...USERS[role], role, password: password(role) }, 'browser-test');
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  });

  beforeEach(async () => {
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      locale: 'en-GB',
      timezoneId: 'Europe/London',
    });
    page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
  });

  afterEach(async () => {
    await context?.close();
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.destroy();
    await scp?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  async function logIn(role: Role, at = '/'): Promise<void> {
    await page.goto(`${baseUrl}${at}`);
    await page.getByLabel('Username').fill(USERS[role].username);
    await page.getByLabel('Password', { exact: true }).fill(password(role));
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  async function logInAndAcknowledge(role: Role, at = '/'): Promise<void> {
    await logIn(role, at);
    await page.getByRole('button', { name: 'I acknowledge' }).click();
    await visible(page.getByRole('navigation', { name: 'Main' }));
  }

  async function navLinks(): Promise<string[]> {
    const links = page.getByRole('navigation', { name: 'Main' }).getByRole('link');
    return (await links.allInnerTexts()).map((text) => text.split('\n')[0].trim());
  }

  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  it('shows the audit notice after log-in and nothing else until it is acknowledged, which is audited', async () => {
    const apiCalls: string[] = [];
    const origins = new Set<string>();
    page.on('request', (request: Request) => {
      const url = new URL(request.url());
      origins.add(url.origin);
      if (url.pathname.startsWith('/api/')) {
        apiCalls.push(`${request.method()} ${url.pathname}`);
      }
    });
    await page.goto(`${baseUrl}/transfers?state=delivered`);
    await visible(page.getByRole('button', { name: 'Log in' }));
    await count(page.getByRole('navigation', { name: 'Main' }), 0);
    await shot('login');

    await logIn('trust-admin', '/transfers?state=delivered');
    await visible(page.getByRole('heading', { name: 'Access to patient data is audited' }));
    await visible(page.getByText(/every log-in, search and view .* is recorded/));
    await shot('notice');
    // Before acknowledging: no navigation, no transfers table, and no request for patient data was made.
    await count(page.getByRole('navigation', { name: 'Main' }), 0);
    await count(page.getByRole('table'), 0);
    expect(apiCalls).toEqual(['POST /api/auth/login']);
    const acknowledged = () =>
      hub.dataSource.query(`SELECT actor_user AS user FROM audit_events WHERE event = 'access-notice-acknowledged'`);
    expect(await acknowledged()).toEqual([]);

    await page.getByRole('button', { name: 'I acknowledge' }).click();
    // The deep link the user opened is where they land, with its filter.
    await visible(page.getByRole('heading', { name: 'Transfers', level: 1 }));
    await until(async () => expect(await page.getByLabel('State').inputValue()).toBe('delivered'));
    expect(apiCalls.slice(0, 3)).toEqual([
      'POST /api/auth/login',
      'POST /api/auth/notice-acknowledgement',
      'GET /api/transfers',
    ]);
    expect(await acknowledged()).toEqual([{ user: USERS['trust-admin'].username }]);
    // Nothing was loaded from another origin: no CDN, no web fonts.
    expect([...origins]).toEqual([baseUrl]);
  });

  it.each(Object.keys(EXPECTED_LINKS) as Role[])('shows a %s exactly the links of its role', async (role) => {
    await logInAndAcknowledge(role);
    expect(await navLinks()).toEqual(EXPECTED_LINKS[role]);
    await visible(page.getByRole('heading', { name: 'Transfers', level: 1 }));
    if (role === 'operator') {
      await page.getByRole('link', { name: 'Operations' }).click();
      await visible(page.getByRole('heading', { name: 'Operations', level: 1 }));
      await visible(page.getByText('This page is not built yet.'));
    }
    await page.getByRole('button', { name: 'Log out' }).click();
    await visible(page.getByRole('button', { name: 'Log in' }));
  });

  it('sends a user back to log-in when the session ends on the server', async () => {
    await logInAndAcknowledge('clinician');
    await visible(page.getByRole('status').filter({ hasText: /No transfers match|Showing/ }));
    await hub.dataSource.query('DELETE s FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE u.username = ?', [
      USERS.clinician.username,
    ]);
    await page.getByRole('button', { name: 'Search' }).click();
    await visible(page.getByRole('button', { name: 'Log in' }));
    await visible(page.getByRole('status').filter({ hasText: 'Your session has ended' }));
  });

  it('lets a trust-admin find a sent study by its Study Instance UID, delivered, with its timeline', async () => {
    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'WEB0001',
      patientName: 'TEST^BROWSER',
      series: [{ kind: 'ct', count: 3 }],
    });
    const other = await makeStudy(path.join(work, 'other'), {
      patientId: 'WEB0002',
      patientName: 'TEST^OTHER',
      series: [{ kind: 'ct', count: 1 }],
    });
    const sent = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files);
    expect(sent.stores.map((store) => store.status)).toEqual([0, 0, 0]);
    expect((await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_ELEC', other.files)).stores[0]?.status).toBe(0);
    await waitFor('both transfers delivered', async () => {
      const rows = (await hub.dataSource.query(
        `SELECT t.state FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid IN (?, ?)`,
        [study.studyInstanceUid, other.studyInstanceUid],
      )) as Array<{ state: string }>;
      return rows.length === 2 && rows.every((row) => row.state === 'delivered') ? true : undefined;
    });

    await logInAndAcknowledge('trust-admin');
    const table = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: /Received/ }) });
    await count(table.getByRole('row'), 3);
    await shot('transfers');

    await page.getByLabel('Study Instance UID').fill(` ${study.studyInstanceUid} `);
    await page.getByRole('button', { name: 'Search' }).click();
    await until(() => expect(new URL(page.url()).searchParams.get('studyInstanceUid')).toBe(study.studyInstanceUid));
    await count(table.getByRole('row'), 2);
    const row = table.getByRole('row').nth(1);
    await visible(row.getByText('Emergency'));
    await visible(row.getByText('Delivered', { exact: true }));
    await visible(row.getByText('3 / 3'));
    await shot('transfers-found');

    await row.getByRole('link', { name: /^Transfer RVJ → RA7/ }).click();
    await visible(page.getByRole('heading', { name: 'Transfer RVJ → RA7', level: 1 }));
    const studyFacts = page.getByRole('table', { name: 'Study' });
    await text(studyFacts.getByRole('row', { name: /Study Instance UID/ }), study.studyInstanceUid);
    await text(studyFacts.getByRole('row', { name: /Patient ID/ }).first(), 'WEB0001');
    const instances = page.getByRole('table', { name: 'Instances' });
    await text(instances.getByRole('row', { name: /Not delivered yet/ }), /Not delivered yet\s*0$/);
    await text(instances.getByRole('row', { name: /Total/ }), /Total\s*3$/);
    const timeline = page.getByRole('table').filter({ hasText: 'Audit events of this exchange' });
    for (const event of ['study-routed', 'delivery-attempted']) {
      await visible(timeline.getByRole('cell', { name: event, exact: true }).first());
    }
    // The other study's transfer does not leak into this one's timeline.
    expect(await timeline.textContent()).not.toContain(other.studyInstanceUid);
    expect(await page.title()).not.toContain('WEB0001');
    await shot('transfer-detail');

    // Sorting by a column heading reorders; the heading says how it is sorted. The emergency study came first.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Transfers' }).click();
    const received = table.getByRole('columnheader', { name: /Received/ });
    const firstRow = table.getByRole('row').nth(1);
    await count(table.getByRole('row'), 3);
    expect(await received.getAttribute('aria-sort')).toBe('descending');
    await text(firstRow, /Elective/);
    await received.getByRole('button').click();
    await until(async () => expect(await received.getAttribute('aria-sort')).toBe('ascending'));
    await text(firstRow, /Emergency/);
  });
});
