import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StorescpHandle, echoscu, freePort, startStorescp, storescu } from './support/dcmtk';
import { makeStudy } from './support/dicom-factory';
import { makeTestCa, openssl } from './support/test-pki';
import { TestHub, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';

/** A throwaway PKI made with openssl: a CA, the hub's certificate, and certificates for nodes. */
function makePki(dir: string) {
  const run = (...args: string[]) => openssl(dir, ...args);
  const signed = makeTestCa(dir, '/CN=Hub Test CA');
  signed('hub', '/CN=IEP_HUB');
  signed('pacs', '/CN=RA7_PACS');
  signed('node', '/CN=RVJ_PACS/O=North Bristol NHS Trust');
  signed('other', '/CN=RVJ_OTHER');
  // Right name, but signed by nobody the hub trusts.
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'rogue.key',
    '-out',
    'rogue.crt',
    '-subj',
    '/CN=RVJ_PACS',
    '-days',
    '2',
  );
  const file = (name: string) => path.join(dir, name);
  return { file };
}

describe('DICOM TLS with mutual authentication (storescu and echoscu +tls)', () => {
  let work: string;
  let hub: TestHub;
  let tlsPort: number;
  let pki: ReturnType<typeof makePki>;
  let recipient: StorescpHandle;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-tls-'));
    pki = makePki(work);
    tlsPort = await freePort();
    // The recipient PACS takes only TLS, and only from a client whose certificate the CA signed.
    recipient = await startStorescp({
      aeTitle: 'RA7_PACS',
      outputDir: mkdtempSync(path.join(work, 'pacs-')),
      extraArgs: ['+tls', pki.file('pacs.key'), pki.file('pacs.crt'), '+cf', pki.file('ca.crt'), '-rc'],
    });
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds: 1,
      configure: (raw) => {
        const ra7 = raw.trusts.find((trust) => trust.code === 'RA7')!;
        Object.assign(ra7.nodes[0], {
          port: recipient.port,
          receive: 'push',
          tls: true,
          certificateSubject: 'CN=RA7_PACS',
        });
        raw.hub.tls = {
          port: tlsPort,
          certificate: pki.file('hub.crt'),
          key: pki.file('hub.key'),
          ca: pki.file('ca.crt'),
        };
        const node = raw.trusts[0].nodes.find((candidate) => candidate.aeTitle === 'RVJ_PACS')!;
        Object.assign(node, { tls: true, certificateSubject: 'CN=RVJ_PACS, O=North Bristol NHS Trust' });
      },
    });
  });

  afterAll(async () => {
    await hub?.destroy();
    await recipient?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const tlsArgs = (name: string) => [
    '+tls',
    pki.file(`${name}.key`),
    pki.file(`${name}.crt`),
    '+cf',
    pki.file('ca.crt'),
  ];

  async function rejection(reasonLike: string) {
    return waitFor(`an association-rejected event like "${reasonLike}"`, async () => {
      const rows = (await hub.dataSource.query(
        `SELECT actor_address AS address FROM audit_events WHERE event = 'association-rejected'
           AND actor_ae_title = 'RVJ_PACS' AND JSON_UNQUOTE(JSON_EXTRACT(detail, '$.reason')) LIKE ?`,
        [`%${reasonLike}%`],
      )) as Array<{ address: string }>;
      return rows.length > 0 ? rows : undefined;
    });
  }

  it('stores a study from a node presenting the certificate its configuration names', async () => {
    const study = await makeStudy(path.join(work, 'study'), {
      patientId: 'TLS0001',
      patientName: 'TEST^SECURE',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    const sent = await storescu(HOST, tlsPort, 'RVJ_PACS', 'RA7_EMER', study.files, tlsArgs('node'));
    expect(sent.association).toBe('accepted');
    expect(sent.stores.map((store) => store.status)).toEqual([0, 0]);
    const rows = (await hub.dataSource.query(
      `SELECT i.id FROM instances i JOIN studies s ON s.id = i.study_id WHERE s.study_instance_uid = ?`,
      [study.studyInstanceUid],
    )) as unknown[];
    expect(rows).toHaveLength(2);
    // Routed and delivered to RA7's PACS, which takes TLS only: the hub connected with its own certificate.
    await waitFor('delivery over TLS', async () => {
      const [transfer] = (await hub.dataSource.query(
        `SELECT t.state FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.study_instance_uid = ?`,
        [study.studyInstanceUid],
      )) as Array<{ state: string }>;
      return transfer?.state === 'delivered' ? transfer : undefined;
    });
    expect(readdirSync(recipient.outputDir).filter((name) => !name.startsWith('.'))).toHaveLength(2);
  });

  it('rejects that node over plain TCP, and with another certificate the CA signed', async () => {
    const plain = await echoscu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER');
    expect(plain.association).toBe('rejected');
    expect(plain.rejection?.reason).toMatch(/Calling AE Title Not Recognized/i);
    await rejection('must connect over DICOM TLS');

    const wrongName = await echoscu(HOST, tlsPort, 'RVJ_PACS', 'RA7_EMER', tlsArgs('other'));
    expect(wrongName.association).toBe('rejected');
    await rejection('certificate subject CN=RVJ_OTHER is not the configured CN=RVJ_PACS');
  });

  it('refuses a certificate the CA did not sign in the handshake, as an audited Security Alert', async () => {
    const rogue = await echoscu(HOST, tlsPort, 'RVJ_PACS', 'RA7_EMER', tlsArgs('rogue'));
    expect(rogue.ok).toBe(false);
    expect(rogue.association).not.toBe('accepted');
    const alerts = await waitFor('the TLS failure to be audited', async () => {
      const rows = (await hub.dataSource.query(
        `SELECT action, actor_address AS address FROM audit_events WHERE event = 'tls-failure'`,
      )) as Array<{ action: string; address: string }>;
      return rows.length > 0 ? rows : undefined;
    });
    expect(alerts[0]).toEqual({ action: 'SecurityAlert', address: '127.0.0.1' });
  });
});
