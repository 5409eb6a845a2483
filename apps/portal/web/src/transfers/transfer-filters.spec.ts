import {
  anyInFlight,
  normalizeTransferFilters,
  parseTransferFilters,
  pageCount,
  sortColumn,
  SORTABLE_COLUMNS,
  transferApiQuery,
  transferFiltersToParams,
} from './transfer-filters';

describe('transfer filters', () => {
  it('reads every filter from the URL', () => {
    const filters = parseTransferFilters(
      new URLSearchParams(
        'state=failed&trust=rvj&folder=emergency&studyInstanceUid=1.2.3&patientId=RVJ123&accessionNumber=ACC1&from=2026-12-01&to=2026-12-03&withoutReport=true',
      ),
    );
    expect(filters).toEqual({
      state: 'failed',
      trust: 'RVJ',
      folder: 'emergency',
      studyInstanceUid: '1.2.3',
      patientId: 'RVJ123',
      accessionNumber: 'ACC1',
      from: '2026-12-01',
      to: '2026-12-03',
      withoutReport: true,
    });
  });

  it('drops what the API would refuse: unknown state or folder, impossible dates, a range that ends first', () => {
    expect(parseTransferFilters(new URLSearchParams('state=lost&folder=urgent&from=2026-02-30&to=yesterday'))).toEqual(
      {},
    );
    expect(parseTransferFilters(new URLSearchParams('from=2026-12-05&to=2026-12-01'))).toEqual({ from: '2026-12-05' });
    expect(parseTransferFilters(new URLSearchParams('withoutReport=yes'))).toEqual({});
  });

  it('trims pasted identifiers and the quotes around a UID', () => {
    expect(parseTransferFilters(new URLSearchParams({ studyInstanceUid: '  "1.2.840.1"  ', patientId: ' ' }))).toEqual({
      studyInstanceUid: '1.2.840.1',
    });
  });

  it('writes filters back to the URL in a stable order, leaving out the empty ones', () => {
    const params = transferFiltersToParams({ patientId: 'P1', state: 'queued', withoutReport: false });
    expect(params.toString()).toBe('state=queued&patientId=P1');
    const roundTrip = {
      folder: 'elective' as const,
      studyInstanceUid: '1.2',
      accessionNumber: 'ACC9',
      to: '2026-01-31',
      withoutReport: true,
    };
    expect(parseTransferFilters(transferFiltersToParams(roundTrip))).toEqual(roundTrip);
  });

  it('cleans typed filters as the URL would', () => {
    expect(normalizeTransferFilters({ studyInstanceUid: ' 1.2.3 ', patientId: '', from: '2026-13-01' })).toEqual({
      studyInstanceUid: '1.2.3',
    });
  });

  it('asks the API for the whole of the last day', () => {
    expect(transferApiQuery({ from: '2026-12-30', to: '2026-12-31' })).toMatchObject({
      from: '2026-12-30',
      to: '2027-01-01',
    });
    expect(transferApiQuery({ withoutReport: true }).withoutReport).toBe('true');
    expect(transferApiQuery({}).withoutReport).toBeUndefined();
  });

  it('asks the server for the page and order shown, leaving the defaults out', () => {
    expect(transferApiQuery({})).toMatchObject({ page: undefined, pageSize: '25', sort: undefined, order: undefined });
    expect(
      transferApiQuery({ state: 'failed' }, { page: 3, pageSize: 50, sort: 'expires', order: 'asc' }),
    ).toMatchObject({ state: 'failed', page: '3', pageSize: '50', sort: 'expires', order: 'asc' });
  });

  it('maps each sortable column to a server sort and back', () => {
    for (const [column, sort] of Object.entries(SORTABLE_COLUMNS)) {
      expect(sortColumn(sort)).toBe(column);
    }
    expect(SORTABLE_COLUMNS.lastError).toBeUndefined();
  });

  it('counts pages, one at least', () => {
    expect(pageCount(0, 25)).toBe(1);
    expect(pageCount(25, 25)).toBe(1);
    expect(pageCount(26, 25)).toBe(2);
    expect(pageCount(100_000, 25)).toBe(4000);
  });

  it('refreshes while something is queued or delivering, not otherwise', () => {
    expect(anyInFlight([{ state: 'delivered' }, { state: 'delivering' }])).toBe(true);
    expect(anyInFlight([{ state: 'queued' }])).toBe(true);
    expect(anyInFlight([{ state: 'delivered' }, { state: 'failed' }, { state: 'awaiting-pull' }])).toBe(false);
    expect(anyInFlight(undefined)).toBe(false);
  });
});
