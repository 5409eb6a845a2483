import { AccountsService, Role } from '@hub/accounts';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Browser, BrowserContext, Locator, Page, Request, chromium } from 'playwright-core';
import { StorescpHandle, startStorescp, storescu } from '../support/dcmtk';
import { DcmqrscpHandle, startDcmqrscp } from '../support/dcmqrscp';
import { GeneratedStudy, makeStudy } from '../support/dicom-factory';
import { TestHub, addTrustRba, ra7PushNodeAt, startTestHub } from '../support/test-hub';
import { waitFor } from '../support/wait-for';

// The web portal in Debian's Chromium, against the real hub (receiver, router, forwarder, portal) on real
// MariaDB and Redis, with storescu as the sending PACS and storescp as the recipient. Elements are found
// as a person finds them: by role and label. Screenshots go to test-output/browser/ (not committed).

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(__dirname, '..', '..', 'test-output', 'browser');
const HOST = '127.0.0.1';

const EXPECTED_LINKS: Record<Role, string[]> = {
  operator: ['Transfers', 'Quarantine', 'Agreements', 'Audit', 'Find it', 'Fetches', 'Users', 'Operations'],
  'trust-admin': ['Transfers', 'Quarantine', 'Agreements', 'Find it', 'Fetches'],
  governance: ['Transfers', 'Quarantine', 'Agreements', 'Audit', 'Fetches'],
  clinician: ['Transfers', 'Find it', 'Fetches'],
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
  let source: DcmqrscpHandle;
  let held: GeneratedStudy;
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
      configure: (raw) => {
        ra7PushNodeAt(scp.port)(raw);
        // RVJ's archive, dcmqrscp, is where fetches ("source it") come from; RBA may be queried but has
        // no agreement with RA7, so a fetch from it is refused.
        raw.trusts
          .find((trust) => trust.code === 'RVJ')!
          .nodes.push({
            aeTitle: 'RVJ_QR',
            host: HOST,
            port: 1,
            allowedIps: [HOST],
            send: false,
            receive: 'none',
            queryRetrieve: true,
          });
        addTrustRba(raw);
        raw.trusts.find((trust) => trust.code === 'RBA')!.nodes[0].queryRetrieve = true;
      },
    });
    source = await startDcmqrscp({
      dir: mkdtempSync(path.join(work, 'source-')),
      aeTitle: 'RVJ_QR',
      moveDestinations: [{ aeTitle: 'IEP_HUB', host: HOST, port: hub.port }],
    });
    await hub.dataSource.query(`UPDATE nodes SET port = ? WHERE ae_title = 'RVJ_QR'`, [source.port]);
    held = await makeStudy(path.join(work, 'held'), {
      patientId: 'WEB0009',
      patientName: 'TEST^FETCH',
      series: [{ kind: 'mr-small', count: 4 }],
    });
    expect((await storescu(HOST, source.port, 'LOADER', 'RVJ_QR', held.files)).stores.map((s) => s.status)).toEqual([
      0, 0, 0, 0,
    ]);
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
    await source?.stop();
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
      await text(page.getByRole('table', { name: 'Services' }), /MySQL\s*Up\s*Redis\s*Up\s*Storage disk.* free of /);
      const nodes = page.getByRole('table').filter({ hasText: 'Delivery queue per recipient node' });
      await visible(nodes.getByRole('rowheader', { name: /RA7_PACS/ }));
      await visible(nodes.getByRole('rowheader', { name: /RBA_PACS/ }));
      await shot('operations');
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
    // The study columns come from the listing itself (one query for every listed study).
    await text(row, /CT.*SYNTHETIC TEST STUDY/);
    await shot('transfers-found');

    // The same transfer by its accession number, the UID cleared.
    await page.getByLabel('Study Instance UID').fill('');
    await page.getByLabel('Accession number').fill(study.accessionNumber);
    await page.getByRole('button', { name: 'Search' }).click();
    await until(() => expect(new URL(page.url()).searchParams.get('accessionNumber')).toBe(study.accessionNumber));
    await count(table.getByRole('row'), 2);
    await visible(row.getByText('3 / 3'));
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

  it('lets governance search the audit trail by patient, see who accessed the patient, and download that CSV', async () => {
    await logInAndAcknowledge('governance');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('button', { name: 'Check the audit trail' }).click();
    await text(page.getByRole('status').filter({ hasText: 'Audit trail intact' }), /All \d+ events are unchanged/);
    await page.getByLabel('Patient ID').fill('WEB0001');
    await page.getByRole('button', { name: 'Search' }).click();
    const results = page.getByRole('table').filter({ hasText: 'Audit events matching the search' });
    // Every row shown is about the patient searched for (waiting until the filtered page replaced the first one).
    let shownIds = 0;
    await until(async () => {
      const patientCells = await results
        .getByRole('row')
        .evaluateAll((rows) => rows.slice(1).map((row) => row.children[5]?.textContent));
      expect(new Set(patientCells)).toEqual(new Set(['WEB0001']));
      shownIds = patientCells.length;
    });
    expect(shownIds).toBeGreaterThan(3);
    await text(
      page.getByRole('status').filter({ hasText: 'Showing' }),
      new RegExp(`Showing 1–${shownIds} of ${shownIds}`),
    );

    await page.getByRole('button', { name: 'Who accessed this patient' }).click();
    const report = page.getByRole('table').filter({ hasText: 'Every user and DICOM node that sent' });
    await visible(report.getByRole('row', { name: /web-admin-ra7/ }));
    await visible(report.getByRole('row', { name: /RVJ_PACS/ }));
    await shot('audit');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('audit.csv');
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split(/\r?\n/);
    const header = csv[0].split(',');
    const patientColumn = header.indexOf('patientId');
    expect(patientColumn).toBeGreaterThan(-1);
    // The CSV holds the search's rows (and the searches since, which are themselves audited), all this patient's.
    expect(csv.length - 1).toBeGreaterThanOrEqual(shownIds);
    for (const line of csv.slice(1)) {
      expect(line.split(',')[patientColumn]).toBe('WEB0001');
    }
  });

  it('lets an operator see a quarantined study with its reason, be told why it cannot be released, and discard it', async () => {
    const stray = await makeStudy(path.join(work, 'stray'), {
      patientId: 'WEB0003',
      patientName: 'TEST^STRAY',
      series: [{ kind: 'ct', count: 1 }],
    });
    // RA7 has no agreement to send to RVJ.
    expect((await storescu(HOST, hub.port, 'RA7_PACS', 'RVJ_EMER', stray.files)).stores[0]?.status).toBe(0);
    const studyState = async () =>
      (
        (await hub.dataSource.query('SELECT state FROM studies WHERE study_instance_uid = ?', [
          stray.studyInstanceUid,
        ])) as Array<{ state: string }>
      )[0]?.state;
    await waitFor('quarantined', async () => ((await studyState()) === 'quarantined' ? true : undefined));

    await logInAndAcknowledge('operator');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Quarantine' }).click();
    const row = page.getByRole('row').filter({ hasText: stray.studyInstanceUid });
    await text(row, /RA7 → RVJ.*Emergency.*no sharing agreement between these trusts/);
    await shot('quarantine');

    await row.getByRole('button', { name: `Release study ${stray.studyInstanceUid}` }).click();
    const releaseDialog = page.getByRole('dialog', { name: 'Release this study?' });
    await releaseDialog.getByRole('button', { name: 'Release' }).click();
    await text(row.getByRole('alert'), /agreement/);
    expect(await studyState()).toBe('quarantined');

    await row.getByRole('button', { name: `Discard study ${stray.studyInstanceUid}` }).click();
    const discardDialog = page.getByRole('dialog', { name: 'Discard this study?' });
    await visible(discardDialog.getByText('This cannot be undone.'));
    await discardDialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await studyState()).toBe('quarantined');
    await row.getByRole('button', { name: `Discard study ${stray.studyInstanceUid}` }).click();
    await discardDialog.getByRole('button', { name: 'Discard' }).click();
    await count(row, 0);
    expect(await studyState()).toBe('discarded');
  });

  it('lets a clinician source a study from another trust and watch it arrive, and says why a fetch is refused', async () => {
    await logInAndAcknowledge('clinician');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Fetches' }).click();
    const form = page.getByRole('form', { name: 'Source a study from another trust' });
    expect(await form.getByLabel('To trust').inputValue()).toBe('RA7');

    await form.getByLabel('From trust').fill('RBA');
    await form.getByLabel('Study Instance UID').fill(held.studyInstanceUid);
    await form.getByRole('button', { name: 'Request study' }).click();
    await text(form.getByRole('alert'), /no sharing agreement/);

    await form.getByLabel('From trust').fill('rvj');
    await form.getByRole('button', { name: 'Request study' }).click();
    const row = page.getByRole('row').filter({ hasText: held.studyInstanceUid });
    await visible(row);
    await text(row, /RVJ → RA7.*Completed.*4 \/ 4/);
    await shot('fetches');
    const delivered = (await hub.dataSource.query(
      `SELECT t.state FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid = ?`,
      [held.studyInstanceUid],
    )) as Array<{ state: string }>;
    expect(delivered.length).toBe(1);
  });

  it('lets an operator create an account and disable it', async () => {
    await logInAndAcknowledge('operator');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    const form = page.getByRole('form', { name: 'New account' });
    await form.getByLabel('New username').fill('web-new-clinician');
    await form.getByLabel('Initial password').fill('a-long-enough-password');
    await form.getByLabel('Role').selectOption('clinician');
    await form.getByLabel('Trust').fill('ra7');
    await form.getByRole('button', { name: 'Create account' }).click();
    const row = page.getByRole('row').filter({ hasText: 'web-new-clinician' });
    await text(row, /Clinician\s*RA7\s*Active/);
    await shot('users');
    await row.getByRole('button', { name: 'Disable web-new-clinician' }).click();
    await text(row, /Disabled/);
    const [account] = (await hub.dataSource.query('SELECT disabled FROM users WHERE username = ?', [
      'web-new-clinician',
    ])) as Array<{ disabled: number }>;
    expect(Number(account.disabled)).toBe(1);
  });

  it('lets an operator suspend and resume an agreement', async () => {
    await logInAndAcknowledge('operator');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agreements' }).click();
    const row = page.getByRole('row').filter({ hasText: 'RVJ → RA7' });
    await text(row, /In force/);
    await shot('agreements');
    const emergencyGrid = page.getByRole('table', { name: 'Emergency folder' });
    const rvjSends = emergencyGrid.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'RVJ' }) });
    // The grid names the trusts that have agreements (RBA has none): columns RA7, RVJ.
    await text(rvjSends, /^RVJ\s*In force\s*—$/);
    await row.getByRole('button', { name: 'Suspend RVJ → RA7' }).click();
    await page.getByRole('dialog', { name: 'Suspend RVJ → RA7?' }).getByRole('button', { name: 'Suspend' }).click();
    await text(row, /Suspended/);
    await text(rvjSends, /^RVJ\s*Suspended/);
    await row.getByRole('button', { name: 'Resume RVJ → RA7' }).click();
    await page.getByRole('dialog', { name: 'Resume RVJ → RA7?' }).getByRole('button', { name: 'Resume' }).click();
    await text(row, /In force/);
  });

  it('lets an operator narrow transfers to one trust', async () => {
    await logInAndAcknowledge('operator');
    const table = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: /Received/ }) });
    await page.getByLabel('Trust', { exact: true }).fill('rba');
    await page.getByRole('button', { name: 'Search' }).click();
    await text(page.getByRole('status').first(), 'No transfers match.');
    expect(new URL(page.url()).searchParams.get('trust')).toBe('RBA');
    await page.getByLabel('Trust', { exact: true }).fill('RVJ');
    await page.getByRole('button', { name: 'Search' }).click();
    await until(async () => expect(await table.getByRole('row').count()).toBeGreaterThan(2));
    // Logging out leaves nothing of the search in the address for the next person at the screen.
    await page.getByRole('button', { name: 'Log out' }).click();
    await visible(page.getByRole('button', { name: 'Log in' }));
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/');
  });

  it('lets a user change their own password and log in with the new one', async () => {
    const username = 'web-changes-password';
    await hub.app
      .get(AccountsService)
      .create({ username, password: 'the-first-password', role: 'clinician', trust: 'RA7' }, 'browser-test');
    await page.goto(baseUrl);
    const logInAs = async (secret: string) => {
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password', { exact: true }).fill(secret);
      await page.getByRole('button', { name: 'Log in' }).click();
    };
    await logInAs('the-first-password');
    await page.getByRole('button', { name: 'I acknowledge' }).click();
    await page.getByRole('link', { name: 'Change password' }).click();
    const form = page.getByRole('form', { name: 'Change password' });
    await form.getByLabel('Current password').fill('the-first-password');
    await form.getByLabel('New password', { exact: true }).fill('a-second-password');
    await form.getByLabel('New password again').fill('a-second-passwort');
    await form.getByRole('button', { name: 'Change password' }).click();
    await text(form.getByRole('alert'), 'The two new passwords differ.');
    await form.getByLabel('New password again').fill('a-second-password');
    await form.getByRole('button', { name: 'Change password' }).click();
    await visible(form.getByRole('status').filter({ hasText: 'Your password is changed.' }));
    await page.getByRole('button', { name: 'Log out' }).click();
    await logInAs('the-first-password');
    await text(page.getByRole('alert'), /invalid username or password/);
    await logInAs('a-second-password');
    await visible(page.getByRole('button', { name: 'I acknowledge' }));
  });

  it('works at tablet width: the menu opens from its button, and the keyboard reaches the links', async () => {
    await page.setViewportSize({ width: 760, height: 1024 });
    await logIn('governance');
    await page.getByRole('button', { name: 'I acknowledge' }).click();
    const menu = page.getByRole('button', { name: 'Menu' });
    await visible(menu);
    const audit = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' });
    // Closed, the menu is off-screen and out of the keyboard's reach.
    const box = await audit.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(0);
    expect(await audit.evaluate((link) => link.closest('[inert]') !== null)).toBe(true);
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    await menu.focus();
    await page.keyboard.press('Enter');
    await until(async () => expect((await audit.boundingBox())!.x).toBeGreaterThanOrEqual(0));
    expect(await audit.evaluate((link) => link.closest('[inert]') !== null)).toBe(false);
    await audit.focus();
    await page.keyboard.press('Enter');
    await visible(page.getByRole('heading', { name: 'Audit', level: 1 }));
    await shot('audit-tablet');
  });
});
