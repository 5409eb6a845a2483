import { MysqlQueryRunner } from 'typeorm/driver/mysql/MysqlQueryRunner';
import request from 'supertest';
import { seedPortalData } from './support/portal-seed';
import { addTrustRba, startTestHub, TestHub } from './support/test-hub';

interface Item {
  id: string;
  sender: string;
  recipient: string;
  state: string;
  instances: number;
  delivered: number;
  expiresAt: string;
  createdAt: string;
  study: { modalities: string[]; studyDate: string | null };
}

interface Page {
  page: number;
  pageSize: number;
  total: number;
  sort: string;
  order: string;
  items: Item[];
}

const SEEDED = 240;

describe('transfer listing: server-side paging and sorting on a seeded database', () => {
  let hub: TestHub;
  let operator: { Authorization: string };
  let clinician: { Authorization: string };

  const list = async (who: { Authorization: string }, query: string): Promise<Page> =>
    (await request(hub.http!).get(`/api/transfers${query}`).set(who).expect(200)).body as Page;

  beforeAll(async () => {
    // Two exchanges (RVJ → RA7 and RVJ → RBA), so sorting by sender → recipient has something to order.
    hub = await startTestHub({
      apps: ['portal'],
      configure: (raw) => {
        addTrustRba(raw);
        raw.agreements.push({ from: 'RVJ', to: 'RBA', folders: ['emergency', 'elective'] });
      },
    });
    const seeded = await seedPortalData(hub.dataSource, { transfers: SEEDED, auditEvents: 500 });
    expect(seeded).toMatchObject({ transfers: SEEDED, instances: SEEDED * 2, auditEvents: 500 });
    operator = await hub.userSession('list-operator', 'operator');
    clinician = await hub.userSession('list-clinician', 'clinician', 'RA7');
  }, 120_000);

  afterAll(async () => {
    await hub?.destroy();
  });

  it('pages newest first by default, every transfer once across the pages', async () => {
    const first = await list(operator, '?pageSize=100');
    expect(first).toMatchObject({ page: 1, pageSize: 100, total: SEEDED, sort: 'received', order: 'desc' });
    const pages = [first, await list(operator, '?pageSize=100&page=2'), await list(operator, '?pageSize=100&page=3')];
    expect(pages.map((page) => page.items.length)).toEqual([100, 100, SEEDED - 200]);
    const items = pages.flatMap((page) => page.items);
    expect(new Set(items.map((item) => item.id)).size).toBe(SEEDED);
    const created = items.map((item) => item.createdAt);
    expect(created).toEqual([...created].sort().reverse());
    expect((await list(operator, '?pageSize=100&page=4')).items).toEqual([]);
  });

  it('sorts by expiry, by exchange and by study date on the server, not within the page', async () => {
    const byExpiry = await list(operator, '?sort=expires&order=asc&pageSize=500');
    const expiries = byExpiry.items.map((item) => item.expiresAt);
    expect(expiries).toEqual([...expiries].sort());
    // The first page of a sort holds the smallest values of all the transfers, not of the newest page.
    const firstOfSort = await list(operator, '?sort=expires&order=asc&pageSize=10');
    expect(firstOfSort.items.map((item) => item.expiresAt)).toEqual(expiries.slice(0, 10));

    const byExchange = await list(operator, '?sort=exchange&order=desc&pageSize=500');
    const exchanges = byExchange.items.map((item) => `${item.sender} ${item.recipient}`);
    expect(exchanges).toEqual([...exchanges].sort().reverse());
    expect(new Set(exchanges)).toEqual(new Set(['RVJ RA7', 'RVJ RBA']));

    const byStudyDate = await list(operator, '?sort=studyDate&order=asc&pageSize=500');
    const dates = byStudyDate.items.map((item) => item.study.studyDate ?? '');
    expect(dates).toEqual([...dates].sort());
  });

  it("gives each row its study columns and delivered/total counts from the page's own query", async () => {
    const { items } = await list(operator, '?pageSize=500');
    const delivered = items.filter((item) => item.state === 'delivered');
    const queued = items.filter((item) => item.state === 'queued');
    expect(delivered.length).toBeGreaterThan(0);
    expect(queued.length).toBeGreaterThan(0);
    for (const item of delivered) {
      expect(item).toMatchObject({ instances: 2, delivered: 2 });
    }
    for (const item of queued) {
      expect(item).toMatchObject({ instances: 2, delivered: 0 });
    }
    expect(items.every((item) => item.study.modalities.length === 1)).toBe(true);
  });

  it('runs the same number of queries for a page of 10 as for a page of 200: none per row', async () => {
    const spy = jest.spyOn(MysqlQueryRunner.prototype, 'query');
    const transferQueries = () =>
      spy.mock.calls.filter(([sql]) => /\bFROM\s+`?transfers`?/i.test(String(sql)) && /^\s*SELECT/i.test(String(sql)));
    try {
      await list(operator, '?pageSize=10&state=delivered');
      const small = transferQueries().length;
      spy.mockClear();
      await list(operator, '?pageSize=200&state=delivered');
      const large = transferQueries().length;
      expect(small).toBe(2);
      expect(large).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('hides a restricted study from a clinician in the count as well as the page', async () => {
    const [restricted] = (await hub.dataSource.query(
      `SELECT t.id, t.study_id AS studyId FROM transfers t JOIN trusts r ON r.id = t.recipient_trust_id
        WHERE r.code = 'RA7' ORDER BY t.created_at LIMIT 1`,
    )) as Array<{ id: string; studyId: string }>;
    await hub.dataSource.query('UPDATE studies SET restricted = 1 WHERE id = ?', [restricted.studyId]);
    const all = await list(operator, '?trust=RA7&pageSize=500');
    const mine = await list(clinician, '?pageSize=500');
    expect(all.items.map((item) => item.id)).toContain(restricted.id);
    expect(mine.items.map((item) => item.id)).not.toContain(restricted.id);
    const [{ n: restrictedAtRa7 }] = (await hub.dataSource.query(
      `SELECT COUNT(*) AS n FROM transfers t JOIN trusts r ON r.id = t.recipient_trust_id
         JOIN studies s ON s.id = t.study_id WHERE r.code = 'RA7' AND s.restricted = 1`,
    )) as Array<{ n: string }>;
    expect(Number(restrictedAtRa7)).toBeGreaterThanOrEqual(1);
    expect(mine.total).toBe(all.total - Number(restrictedAtRa7));
    expect(mine.items).toHaveLength(mine.total);
  });

  it('names a bad paging or sorting parameter', async () => {
    for (const [query, message] of [
      ['?pageSize=501', /^pageSize: /],
      ['?page=0', /^page: /],
      ['?sort=patientName', /^sort: expected one of/],
      ['?order=up', /^order: expected one of/],
    ] as const) {
      const response = await request(hub.http!).get(`/api/transfers${query}`).set(operator).expect(400);
      expect((response.body as { message: string }).message).toMatch(message);
    }
  });
});
