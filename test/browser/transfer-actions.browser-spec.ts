import { AccountsService } from '@hub/accounts';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Browser, BrowserContext, Locator, Page, chromium } from 'playwright-core';
import { StorescpHandle, freePort, startStorescp, storescu } from '../support/dcmtk';
import { GeneratedStudy, makeStudy } from '../support/dicom-factory';
import { TestHub, ra7PushNodeAt, startTestHub } from '../support/test-hub';
import { waitFor } from '../support/wait-for';

// "Retry now", "Cancel" and "C-ECHO now" in Debian's Chromium, against the real hub (receiver, router,
// forwarder, portal) on real MariaDB and Redis. RA7's PACS is a storescp on a port where, at first, nothing
// listens: its transfers fail and back off until the test starts it. Screenshots go to test-output/browser/.

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(__dirname, '..', '..', 'test-output', 'browser');
const HOST = '127.0.0.1';
const TIMEOUT_MS = 15_000;

const USERS = {
  operator: { username: 'act-operator', role: 'operator' as const },
  admin: { username: 'act-admin-ra7', role: 'trust-admin' as const, trust: 'RA7' },
  sender: { username: 'act-admin-rvj', role: 'trust-admin' as const, trust: 'RVJ' },
};
type Who = keyof typeof USERS;
const password = (who: Who) => `${USERS[who].username}-Secret-1`;

async function visible(locator: Locator): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout: TIMEOUT_MS });
}

/** Retries a Jest assertion until it passes or the deadline (playwright-core has no web-first assertions). */
async function until(assertion: () => void | Promise<void>, timeoutMs = TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
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

const text = (locator: Locator, pattern: string | RegExp, timeoutMs?: number) =>
  until(async () => expect(await locator.textContent()).toMatch(pattern), timeoutMs);

describe('transfer actions and C-ECHO in the browser', () => {
  let hub: TestHub;
  let work: string;
  let pacsPort: number;
  let baseUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pacs: StorescpHandle | undefined;

  const startPacs = async () => {
    pacs = await startStorescp({
      port: pacsPort,
      aeTitle: 'RA7_PACS',
      outputDir: mkdtempSync(path.join(work, 'pacs-')),
    });
    return pacs;
  };
  const stopPacs = async () => {
    await pacs?.stop();
    pacs = undefined;
  };

  const transferOf = (study: GeneratedStudy) =>
    waitFor(`the transfer of ${study.studyInstanceUid}`, async () => {
      const [row] = (await hub.dataSource.query(
        `SELECT t.id, t.state, t.attempts FROM transfers t JOIN studies s ON s.id = t.study_id
          WHERE s.study_instance_uid = ?`,
        [study.studyInstanceUid],
      )) as Array<{ id: string; state: string; attempts: number }>;
      return row;
    });

  /** Sends a study to RA7 and waits until its delivery failed on the dead port and backs off. */
  async function sendToDownedPacs(name: string, patientId: string, count: number) {
    const study = await makeStudy(path.join(work, name), {
      patientId,
      patientName: 'TEST^ACTIONS',
      series: [{ kind: 'ct', count }],
    });
    const sent = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files);
    expect(sent.stores.map((store) => store.status)).toEqual(new Array(count).fill(0));
    const { id } = await transferOf(study);
    const job = await waitFor('the delivery backing off', async () => {
      const [backingOff] = (await hub.deliveryJobs(['delayed'])).filter(
        (candidate) => (candidate.data as { transferId: string }).transferId === id,
      );
      return backingOff && (await transferOf(study)).attempts >= 1 ? backingOff : undefined;
    });
    return { study, id, job };
  }

  async function logIn(who: Who): Promise<void> {
    await page.goto(baseUrl);
    await page.getByLabel('Username').fill(USERS[who].username);
    await page.getByLabel('Password', { exact: true }).fill(password(who));
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'I acknowledge' }).click();
    await visible(page.getByRole('navigation', { name: 'Main' }));
  }

  async function openTransfer(study: GeneratedStudy): Promise<void> {
    await page.getByLabel('Study Instance UID').fill(study.studyInstanceUid);
    await page.getByRole('button', { name: 'Search' }).click();
    const table = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: /Received/ }) });
    await until(async () => expect(await table.getByRole('row').count()).toBe(2));
    await table
      .getByRole('row')
      .nth(1)
      .getByRole('link', { name: /^Transfer RVJ → RA7/ })
      .click();
    await visible(page.getByRole('heading', { name: 'Transfer RVJ → RA7', level: 1 }));
  }

  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const stateOnPage = () =>
    page.getByRole('table', { name: 'Transfer', exact: true }).getByRole('row', { name: /State/ });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
    }
    mkdirSync(SHOTS, { recursive: true });
    work = mkdtempSync(path.join(tmpdir(), 'iehub-browser-actions-'));
    pacsPort = await freePort();
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder', 'portal'],
      stableStudySeconds: 1,
      configure: ra7PushNodeAt(pacsPort),
    });
    const server = hub.http as unknown as Server;
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    baseUrl = `http://${HOST}:${(server.address() as AddressInfo).port}`;
    const accounts = hub.app.get(AccountsService);
    for (const who of Object.keys(USERS) as Who[]) {
      await accounts.create({ ...USERS[who], password: password(who) }, 'browser-test');
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
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
    await stopPacs();
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('Retry now on a transfer whose recipient has come back delivers it', async () => {
    const { study, id, job } = await sendToDownedPacs('retry', 'ACTW001', 3);
    // After a long outage the backoff is minutes: without "Retry now" nothing would go for ten.
    await job.changeDelay(10 * 60_000);

    // The sender's trust-admin sees the transfer but is offered neither action.
    await logIn('sender');
    await openTransfer(study);
    await text(stateOnPage(), /Queued/);
    expect(await page.getByRole('button', { name: 'Retry now' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Cancel', exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Log out' }).click();

    await logIn('admin');
    await openTransfer(study);
    await text(page.getByRole('alert').filter({ hasText: 'Last error' }), /connection refused \(nothing listening\)/);
    await shot('transfer-retry-before');

    const received = await startPacs();
    await page.getByRole('button', { name: 'Retry now' }).click();
    await text(page.getByRole('status').filter({ hasText: 'Retrying now' }), /was waiting to retry; it runs now/);
    // The page refreshes itself while the transfer is in flight.
    await text(stateOnPage(), /Delivered/, 20_000);
    const instances = page.getByRole('table', { name: 'Instances' });
    await text(instances.getByRole('row', { name: /Not delivered yet/ }), /Not delivered yet\s*0$/);
    const timeline = page.getByRole('table').filter({ hasText: 'Audit events of this exchange' });
    await visible(
      timeline.getByRole('row').filter({ hasText: 'transfer-retried' }).filter({ hasText: 'act-admin-ra7' }),
    );
    await shot('transfer-retried');

    expect((await transferOf(study)).state).toBe('delivered');
    expect(readdirSync(received.outputDir)).toHaveLength(3);
    const [event] = (await hub.dataSource.query(
      `SELECT actor_user AS user, actor_address AS address FROM audit_events
        WHERE event = 'transfer-retried' AND JSON_EXTRACT(detail, '$.transferId') = ?`,
      [id],
    )) as Array<{ user: string; address: string }>;
    expect(event.user).toBe('act-admin-ra7');
    expect(event.address).toMatch(/127\.0\.0\.1/);
  });

  it('Cancel, after a confirmation, stops a transfer being delivered', async () => {
    const { study, id } = await sendToDownedPacs('cancel', 'ACTW002', 1);
    await logIn('operator');
    await openTransfer(study);
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this transfer?' });
    await visible(dialog.getByText(/stops delivering it to RA7/));
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    expect((await transferOf(study)).state).toBe('queued');

    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await dialog.getByRole('button', { name: 'Cancel transfer' }).click();
    await visible(page.getByRole('status').filter({ hasText: 'Cancelled: this transfer will not be delivered.' }));
    await text(stateOnPage(), /Cancelled/);
    await until(async () => expect(await page.getByRole('button', { name: 'Retry now' }).count()).toBe(0));
    await shot('transfer-cancelled');
    expect((await transferOf(study)).state).toBe('cancelled');
    const jobs = (await hub.deliveryJobs(['waiting', 'prioritized', 'delayed', 'active'])).filter(
      (job) => (job.data as { transferId: string }).transferId === id,
    );
    expect(jobs).toHaveLength(0);
  });

  it('C-ECHO now shows a node refusing, then answering once it is back', async () => {
    await logIn('operator');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operations' }).click();
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /RA7_PACS/ }) });
    await row.getByRole('button', { name: 'C-ECHO now: RA7_PACS' }).click();
    await text(row.getByRole('alert'), new RegExp(`Connection refused in \\d+ ms: RA7_PACS@127.0.0.1:${pacsPort}`));
    await shot('operations-echo-refused');

    const pacsUp = await startPacs();
    await row.getByRole('button', { name: 'C-ECHO now: RA7_PACS' }).click();
    await text(row.getByRole('status'), /^Success in \d+ ms$/);
    await pacsUp.waitForLog(/Received Echo Request/);
    await shot('operations-echo');
  });
});
