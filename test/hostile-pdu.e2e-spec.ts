import * as path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { echoscu } from './support/dcmtk';
import {
  EXPLICIT_LE,
  MR_STORAGE,
  RawPeer,
  VERIFICATION,
  applicationContextItem,
  associateRq,
  presentationContextItem,
  userInformationItem,
} from './support/raw-pdu';
import { TestHub, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';

/**
 * A requestor that breaks the protocol on purpose. No DCMTK tool sends these PDUs, so the peer is a raw
 * socket; after every case a DCMTK echoscu or storescu shows the receiver still serves.
 */
describe('receiver against crafted PDUs (raw socket peer, real MariaDB)', () => {
  let hub: TestHub;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-hostile-'));
    hub = await startTestHub({ apps: ['receiver'] });
  });

  afterAll(async () => {
    await hub?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  async function rejectionOf(rq: Buffer): Promise<{ rj?: Buffer; closed: boolean }> {
    const peer = await RawPeer.connect(hub.port);
    try {
      peer.write(rq);
      const answer = await peer.nextPdu(1);
      return { rj: answer, closed: await peer.waitClosed() };
    } finally {
      peer.destroy();
    }
  }

  async function abortAudited(reasonLike: string) {
    return waitFor(`an association-aborted event like "${reasonLike}"`, async () => {
      const rows = (await hub.dataSource.query(
        `SELECT detail FROM audit_events WHERE event = 'association-aborted' AND actor_address = '127.0.0.1'
           AND JSON_UNQUOTE(JSON_EXTRACT(detail, '$.reason')) LIKE ?`,
        [`%${reasonLike}%`],
      )) as unknown[];
      return rows.length > 0 ? rows : undefined;
    });
  }

  it('rejects an A-ASSOCIATE-RQ with 300 presentation contexts (ids past 255, duplicated) and keeps serving', async () => {
    const contexts = Array.from({ length: 300 }, (_, index) => ({
      id: (index * 2 + 1) % 256,
      abstractSyntax: VERIFICATION,
      transferSyntaxes: [EXPLICIT_LE],
    }));
    const { rj, closed } = await rejectionOf(associateRq({ calling: 'RVJ_PACS', called: 'RA7_EMER', contexts }));
    expect(rj?.[0]).toBe(0x03); // A-ASSOCIATE-RJ
    expect([rj?.[7], rj?.[8], rj?.[9]]).toEqual([1, 2, 1]); // permanent, service-provider (ACSE), no reason given
    expect(closed).toBe(true);
    await abortAudited('presentation context');
    expect((await echoscu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER')).ok).toBe(true);
  });

  it.each([
    ['an even presentation context id', [{ id: 2, abstractSyntax: VERIFICATION, transferSyntaxes: [EXPLICIT_LE] }]],
    [
      'a duplicated presentation context id',
      [
        { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [EXPLICIT_LE] },
        { id: 1, abstractSyntax: MR_STORAGE, transferSyntaxes: [EXPLICIT_LE] },
      ],
    ],
    ['a context with no transfer syntax', [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [] }]],
    ['a UID of 65 characters', [{ id: 1, abstractSyntax: `1.${'2'.repeat(63)}`, transferSyntaxes: [EXPLICIT_LE] }]],
    ['no presentation context at all', []],
  ])('rejects an A-ASSOCIATE-RQ with %s', async (_, contexts) => {
    const { rj, closed } = await rejectionOf(associateRq({ calling: 'RVJ_PACS', called: 'RA7_EMER', contexts }));
    expect(rj?.[0]).toBe(0x03);
    expect(rj?.[8]).toBe(2);
    expect(closed).toBe(true);
  });

  it('rejects protocol version 0 with reason 2 (protocol version not supported)', async () => {
    const contexts = [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [EXPLICIT_LE] }];
    const { rj } = await rejectionOf(
      associateRq({ calling: 'RVJ_PACS', called: 'RA7_EMER', contexts, protocolVersion: 0 }),
    );
    expect([rj?.[0], rj?.[7], rj?.[8], rj?.[9]]).toEqual([0x03, 1, 2, 2]);
  });

  it('rejects items whose lengths do not nest (a sub-item running past its presentation context)', async () => {
    const context = presentationContextItem({ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [EXPLICIT_LE] });
    context.writeUInt16BE(context.readUInt16BE(2) - 3, 2); // the context now ends inside its transfer syntax
    const rq = associateRq({
      calling: 'RVJ_PACS',
      called: 'RA7_EMER',
      items: [applicationContextItem(), context, Buffer.alloc(3), userInformationItem()],
    });
    const { rj } = await rejectionOf(rq);
    expect(rj?.[0]).toBe(0x03);
    await abortAudited('A-ASSOCIATE-RQ');
  });

  it('aborts a PDU that no state allows (an A-ASSOCIATE-AC sent to the acceptor) and keeps serving', async () => {
    const peer = await RawPeer.connect(hub.port);
    try {
      const ac = associateRq({ calling: 'RVJ_PACS', called: 'RA7_EMER', contexts: [] });
      ac[0] = 0x02;
      peer.write(ac);
      expect(await peer.waitClosed()).toBe(true);
    } finally {
      peer.destroy();
    }
    expect((await echoscu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER')).ok).toBe(true);
  });
});
