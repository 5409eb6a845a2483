import { AccountsService } from '@hub/accounts';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Browser, Page, chromium } from 'playwright-core';
import request from 'supertest';
import { storescu } from '../support/dcmtk';
import { GeneratedStudy, makeStudy } from '../support/dicom-factory';
import { TestHub, startTestHub } from '../support/test-hub';
import { waitFor } from '../support/wait-for';

// The zero-footprint viewer in Debian's Chromium, opened through a secure viewer link (no log-in), against
// the real hub: Cornerstone3D decodes the study in the browser from the hub's DICOMweb.

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(__dirname, '..', '..', 'test-output', 'browser');
const HOST = '127.0.0.1';
const TIMEOUT_MS = 30_000;

/** A digest of the viewport's canvas: how many pixels are not black, and the sum of their red channel. */
async function canvasDigest(
  page: Page,
  selector = '[aria-label="Image viewport"] canvas',
): Promise<{ lit: number; sum: number }> {
  // Runs in the page (a string, so this file needs no DOM types).
  return page.evaluate<{ lit: number; sum: number }>(`(() => {
    const canvas = document.querySelector(${JSON.stringify(selector)});
    if (!canvas || canvas.width === 0) {
      return { lit: 0, sum: 0 };
    }
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let lit = 0;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] + data[i + 1] + data[i + 2] > 0) {
        lit++;
        sum += data[i];
      }
    }
    return { lit, sum };
  })()`);
}

describe('viewer in the browser, through a secure viewer link', () => {
  let hub: TestHub;
  let work: string;
  let baseUrl: string;
  let browser: Browser;
  let study: GeneratedStudy;
  let studyId: string;
  let clinician: { Authorization: string };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
    }
    mkdirSync(SHOTS, { recursive: true });
    work = mkdtempSync(path.join(tmpdir(), 'iehub-browser-viewer-'));
    hub = await startTestHub({
      apps: ['receiver', 'router', 'portal'],
      stableStudySeconds: 1,
      configure: (raw) => {
        Object.assign(raw.trusts.find((trust) => trust.code === 'RA7')!.nodes[0], { receive: 'pull' });
      },
    });
    study = await makeStudy(path.join(work, 'study'), {
      patientId: '9434765870',
      patientName: 'VIEW^ANNA',
      series: [
        { kind: 'mr-small', count: 3, transferSyntax: 'jpeg-ls' },
        { kind: 'sr', count: 1 },
        { kind: 'pdf', count: 1 },
      ],
    });
    expect((await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files, ['-xt'])).code).toBe(0);
    studyId = await waitFor('the study filed for RA7', async () => {
      const [row] = (await hub.dataSource.query(
        `SELECT s.id FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid = ?`,
        [study.studyInstanceUid],
      )) as Array<{ id: string }>;
      return row?.id;
    });
    clinician = await hub.userSession('viewer-clinician', 'clinician', 'RA7');
    const server = hub.http as unknown as Server;
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    baseUrl = `http://${HOST}:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows the JPEG-LS study without a log-in, changes with window/level, and stops once the link is revoked', async () => {
    const created = await request(hub.http!).post(`/api/studies/${studyId}/links`).set(clinician).send({}).expect(201);
    const { token, id: linkId, url } = created.body as { token: string; id: string; url: string };
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    try {
      await page.goto(`${baseUrl}${url}`);
      await page.getByRole('button', { name: /Series 1 MR \(3\)/ }).waitFor();
      let before = { lit: 0, sum: 0 };
      await waitFor(
        'the image drawn on the canvas',
        async () => {
          before = await canvasDigest(page);
          return before.lit > 1000 ? before : undefined;
        },
        TIMEOUT_MS,
      );
      // The series list shows each image series' middle image.
      await waitFor(
        'the thumbnail drawn',
        async () => {
          const thumbnail = await canvasDigest(page, 'canvas[aria-label="Thumbnail of series 1"]');
          return thumbnail.lit > 100 ? thumbnail : undefined;
        },
        TIMEOUT_MS,
      );
      await page.screenshot({ path: path.join(SHOTS, 'viewer-link.png') });
      // Window/level: drag on the image with the primary button.
      const box = (await page.getByRole('img', { name: 'Image viewport' }).boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 80, { steps: 10 });
      await page.mouse.up();
      await waitFor(
        'the pixels to change with window/level',
        async () => {
          const after = await canvasDigest(page);
          return after.sum !== before.sum ? after : undefined;
        },
        TIMEOUT_MS,
      );
      expect(problems).toEqual([]);

      const opened = (await hub.dataSource.query(
        `SELECT actor_address AS address FROM audit_events
          WHERE event = 'viewer-link-opened' AND JSON_UNQUOTE(JSON_EXTRACT(detail, '$.linkId')) = ?`,
        [linkId],
      )) as Array<{ address: string }>;
      expect(opened.length).toBeGreaterThanOrEqual(1);
      expect(opened[0].address).toMatch(/127\.0\.0\.1/);

      await request(hub.http!).delete(`/api/studies/${studyId}/links/${linkId}`).set(clinician).expect(200);
      await page.goto(`${baseUrl}/viewer/links/${token}`);
      await page.getByText('This link does not open').waitFor();
      expect(await page.getByText(/revoked/).count()).toBeGreaterThan(0);
    } finally {
      await context.close();
    }
  });

  it('makes a viewer link from the transfer page, whose text opens the study in another browser without a log-in', async () => {
    const password = 'viewer-web-clinician-Secret-1';
    await hub.app
      .get(AccountsService)
      .create({ username: 'viewer-web-clinician', password, role: 'clinician', trust: 'RA7' }, 'browser-test');
    const [transfer] = (await hub.dataSource.query('SELECT id FROM transfers WHERE study_id = ?', [studyId])) as Array<{
      id: string;
    }>;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    try {
      await page.goto(`${baseUrl}/transfers/${transfer.id}`);
      await page.getByLabel('Username').fill('viewer-web-clinician');
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('button', { name: 'I acknowledge' }).click();
      await page.getByRole('button', { name: 'Make a viewer link' }).click();
      const field = page.getByRole('textbox', { name: 'Viewer link' });
      await field.waitFor();
      const link = await field.inputValue();
      expect(link).toMatch(new RegExp(`^${baseUrl}/viewer/links/[A-Za-z0-9_-]{43}$`));
      await page.getByRole('table', { name: 'Viewer links' }).getByRole('button', { name: 'Revoke' }).first().waitFor();

      // Someone else (a GP), in a browser with no session at all.
      const gp = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        const gpPage = await gp.newPage();
        gpPage.setDefaultTimeout(TIMEOUT_MS);
        await gpPage.goto(link);
        await waitFor(
          'the image drawn for the GP',
          async () => {
            const digest = await canvasDigest(gpPage);
            return digest.lit > 1000 ? digest : undefined;
          },
          TIMEOUT_MS,
        );
      } finally {
        await gp.close();
      }
    } finally {
      await context.close();
    }
  });

  it('shows a structured report as text and opens an encapsulated PDF as a PDF', async () => {
    const created = await request(hub.http!).post(`/api/studies/${studyId}/links`).set(clinician).send({}).expect(201);
    const { url } = created.body as { url: string };
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    try {
      await page.goto(`${baseUrl}${url}`);
      await page.getByRole('button', { name: /Series 2 SR \(1\)/ }).click();
      const report = page.getByRole('article', { name: 'Diagnostic Imaging Report' });
      await report.waitFor();
      expect(await report.textContent()).toMatch(/Finding: Synthetic report 1: no acute intracranial abnormality\./);
      await page.getByRole('button', { name: /Series 3 DOC \(1\)/ }).click();
      const pdfLink = page.getByRole('link', { name: 'Open Request form (PDF)' });
      await pdfLink.waitFor();
      const href = (await pdfLink.getAttribute('href'))!;
      const pdf = await request(hub.http!)
        .get(href)
        .buffer(true)
        .parse((res, callback) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => callback(null, Buffer.concat(chunks)));
        })
        .expect(200);
      expect(pdf.headers['content-type']).toBe('application/pdf');
      expect((pdf.body as Buffer).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    } finally {
      await context.close();
    }
  });

  it('finds the patient by NHS number, and View opens the study the hub holds for the trust', async () => {
    const password = 'find-web-clinician-Secret-1';
    await hub.app
      .get(AccountsService)
      .create({ username: 'find-web-clinician', password, role: 'clinician', trust: 'RA7' }, 'browser-test');
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    try {
      await page.goto(`${baseUrl}/find-it`);
      await page.getByLabel('Username').fill('find-web-clinician');
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('button', { name: 'I acknowledge' }).click();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Find it' }).click();
      await page.getByLabel('NHS number').fill('9434765870');
      await page.getByRole('button', { name: 'Find', exact: true }).click();
      const atHub = page.getByRole('table', { name: 'Studies at the hub' });
      await atHub.waitFor();
      expect(await atHub.getByRole('row').count()).toBe(2);
      expect(await atHub.textContent()).toMatch(/RVJ → RA7/);
      // RVJ shares with RA7 but has no query/retrieve node here: asked of nothing, and said so.
      const rvj = page.getByRole('region', { name: 'Answer of RVJ' });
      expect(await rvj.textContent()).toMatch(/Not queryable/);
      const [viewer] = await Promise.all([
        context.waitForEvent('page'),
        atHub.getByRole('button', { name: 'View' }).click(),
      ]);
      viewer.setDefaultTimeout(TIMEOUT_MS);
      await waitFor(
        'the image drawn in the viewer View opened',
        async () => {
          const digest = await canvasDigest(viewer);
          return digest.lit > 1000 ? digest : undefined;
        },
        TIMEOUT_MS,
      );
      const [searched] = (await hub.dataSource.query(
        `SELECT patient_id AS patientId FROM audit_events WHERE event = 'find-it-searched' AND actor_user = ?`,
        ['find-web-clinician'],
      )) as Array<{ patientId: string }>;
      expect(searched.patientId).toBe('9434765870');
    } finally {
      await context.close();
    }
  });
});
