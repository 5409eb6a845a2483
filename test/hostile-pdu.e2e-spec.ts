import * as path from 'node:path';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { splitPart10 } from '@hub/dicom';
import { echoscu, storescu } from './support/dcmtk';
import { makeHostile, makeStudy } from './support/dicom-factory';
import {
  EXPLICIT_LE,
  MR_STORAGE,
  RawPeer,
  VERIFICATION,
  applicationContextItem,
  associateRq,
  cStoreRqCommand,
  pDataTf,
  presentationContextItem,
  releaseRq,
  responseStatus,
  userInformationItem,
} from './support/raw-pdu';
import { TestHub, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';

async function abortAudited(hub: TestHub, reasonLike: string) {
  return waitFor(`an association-aborted event like "${reasonLike}"`, async () => {
    const rows = (await hub.dataSource.query(
      `SELECT detail FROM audit_events WHERE event = 'association-aborted' AND actor_address = '127.0.0.1'
         AND JSON_UNQUOTE(JSON_EXTRACT(detail, '$.reason')) LIKE ?`,
      [`%${reasonLike}%`],
    )) as unknown[];
    return rows.length > 0 ? rows : undefined;
  });
}

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
    await abortAudited(hub, 'presentation context');
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
    await abortAudited(hub, 'A-ASSOCIATE-RQ');
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

  it('answers 0xC000 to a data set whose last element is cut short, keeping no file and no row', async () => {
    // The instance the issue describes: PixelData declares more than arrives, and the last PDV says "last".
    const hostile = makeHostile(path.join(work, 'truncated'), 'truncated');
    const dataset = splitPart10(readFileSync(hostile.path)).dataset;
    const peer = await RawPeer.connect(hub.port);
    try {
      peer.write(
        associateRq({
          calling: 'RVJ_PACS',
          called: 'RA7_EMER',
          contexts: [{ id: 1, abstractSyntax: MR_STORAGE, transferSyntaxes: [EXPLICIT_LE] }],
        }),
      );
      expect((await peer.nextPdu(1))?.[0]).toBe(0x02);
      const command = cStoreRqCommand({
        messageId: 1,
        sopClassUid: MR_STORAGE,
        sopInstanceUid: hostile.sopInstanceUid,
      });
      peer.write(pDataTf([{ contextId: 1, command: true, last: true, value: command }]));
      const half = Math.floor(dataset.length / 2);
      peer.write(pDataTf([{ contextId: 1, command: false, last: false, value: dataset.subarray(0, half) }]));
      peer.write(pDataTf([{ contextId: 1, command: false, last: true, value: dataset.subarray(half) }]));
      const response = await peer.nextPdu(2);
      expect(responseStatus(response!)).toBe(0xc000);
      peer.write(releaseRq());
      expect((await peer.nextPdu(3))?.[0]).toBe(0x06);
    } finally {
      peer.destroy();
    }
    const rows = (await hub.dataSource.query('SELECT id FROM instances WHERE sop_instance_uid = ?', [
      hostile.sopInstanceUid,
    ])) as unknown[];
    expect(rows).toHaveLength(0);
    const files = readdirSync(hub.storageDir, { recursive: true }).map(String);
    expect(files.filter((file) => file.includes(hostile.sopInstanceUid))).toHaveLength(0);
    const refused = await waitFor('the refusal to be audited', async () => {
      const events = (await hub.dataSource.query(
        `SELECT detail FROM audit_events WHERE event = 'instance-refused'
           AND JSON_UNQUOTE(JSON_EXTRACT(detail, '$.sopInstanceUid')) = ?`,
        [hostile.sopInstanceUid],
      )) as Array<{ detail: unknown }>;
      return events.length > 0 ? events : undefined;
    });
    const detail = (typeof refused[0].detail === 'string' ? JSON.parse(refused[0].detail) : refused[0].detail) as {
      status: string;
      reason: string;
    };
    expect(detail.status).toBe('0xC000');
    expect(detail.reason).toMatch(/\(7FE0,0010\)/);

    // A whole study from DCMTK on the next association is stored as before.
    const study = await makeStudy(work, {
      patientId: 'HOSTILE2',
      patientName: 'HOSTILE^TWO',
      series: [{ kind: 'mr-small', count: 2 }],
    });
    const sent = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', study.files);
    expect(sent.stores.map((store) => store.status)).toEqual([0, 0]);
  });
});

describe('receiver association limits and timeouts (DCMTK echoscu, raw socket peers)', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startTestHub({
      apps: ['receiver'],
      configure: (raw) => {
        raw.dicom = {
          maxAssociations: 2,
          maxAssociationsPerCallingAe: 1,
          requestTimeoutSeconds: 1,
          idleTimeoutSeconds: 2,
        };
      },
    });
  });

  afterAll(async () => {
    await hub?.destroy();
  });

  /** An accepted association held open by a raw peer. */
  async function holdAssociation(calling: string, called: string): Promise<RawPeer> {
    const peer = await RawPeer.connect(hub.port);
    peer.write(
      associateRq({
        calling,
        called,
        contexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [EXPLICIT_LE] }],
      }),
    );
    expect((await peer.nextPdu(1))?.[0]).toBe(0x02);
    return peer;
  }

  async function refusedOverLimit(like: string) {
    return waitFor(`an association-rejected event like "${like}"`, async () => {
      const rows = (await hub.dataSource.query(
        `SELECT detail FROM audit_events WHERE event = 'association-rejected'
           AND JSON_UNQUOTE(JSON_EXTRACT(detail, '$.reason')) LIKE ?`,
        [`%${like}%`],
      )) as unknown[];
      return rows.length > 0 ? rows : undefined;
    });
  }

  it('refuses a second association from one calling AE as transient, local limit exceeded, until the first ends', async () => {
    const first = await holdAssociation('RVJ_PACS', 'RA7_EMER');
    try {
      const refused = await echoscu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER');
      expect(refused.association).toBe('rejected');
      expect(refused.rejection?.permanent).toBe(false);
      expect(refused.rejection?.source).toMatch(/Presentation/i);
      expect(refused.rejection?.reason).toMatch(/Local Limit Exceeded/i);
      await refusedOverLimit('from RVJ_PACS, the most allowed (dicom.maxAssociationsPerCallingAe)');
    } finally {
      first.write(releaseRq());
      await first.waitClosed();
      first.destroy();
    }
    await waitFor('the slot to be given back', async () =>
      (await echoscu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER')).ok ? true : undefined,
    );
  });

  it('refuses any caller once the total is reached', async () => {
    const held = [await holdAssociation('RVJ_PACS', 'RA7_EMER'), await holdAssociation('RVJ_VIEW', 'IEP_HUB')];
    try {
      const refused = await echoscu(HOST, hub.port, 'RA7_PACS', 'IEP_HUB');
      expect(refused.association).toBe('rejected');
      expect(refused.rejection?.reason).toMatch(/Local Limit Exceeded/i);
      await refusedOverLimit('associations open, the most allowed (dicom.maxAssociations)');
    } finally {
      held.forEach((peer) => peer.destroy());
    }
  });

  it('closes a connection that sends no A-ASSOCIATE-RQ (ARTIM) and aborts an idle association, audited', async () => {
    const silent = await RawPeer.connect(hub.port);
    const idle = await holdAssociation('RVJ_PACS', 'RA7_ELEC');
    try {
      expect(await silent.waitClosed(5000)).toBe(true);
      expect(await idle.waitClosed(8000)).toBe(true);
      expect(idle.pdus.at(-1)?.[0]).toBe(0x07); // A-ABORT
      await abortAudited(hub, 'no A-ASSOCIATE-RQ within 1 s');
      await abortAudited(hub, 'no PDU for 2 s');
    } finally {
      silent.destroy();
      idle.destroy();
    }
  });
});
