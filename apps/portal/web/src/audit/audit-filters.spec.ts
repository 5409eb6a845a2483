import { auditApiQuery, auditFiltersToParams, parseAuditFilters } from './audit-filters';

describe('audit filters', () => {
  it('reads the search from the URL, trimming and upper-casing the trust code', () => {
    expect(
      parseAuditFilters(
        new URLSearchParams('patientId= P1 &actor=alice&action=Query&trust=ra7&from=2026-01-01&to=2026-01-31'),
      ),
    ).toEqual({ patientId: 'P1', actor: 'alice', action: 'Query', trust: 'RA7', from: '2026-01-01', to: '2026-01-31' });
  });

  it('drops an unknown action, a bad date and a range that ends before it starts', () => {
    expect(parseAuditFilters(new URLSearchParams('action=Delete&from=2026-02-30'))).toEqual({});
    expect(parseAuditFilters(new URLSearchParams('from=2026-02-02&to=2026-02-01'))).toEqual({ from: '2026-02-02' });
  });

  it('asks the API for the whole last day, and for a page when paging', () => {
    const query = auditApiQuery({ patientId: 'P1', to: '2026-02-28' }, { page: 3, pageSize: 50 });
    expect(query.toString()).toBe('patientId=P1&to=2026-03-01&page=3&pageSize=50');
    expect(auditApiQuery({ studyInstanceUid: '1.2' }).toString()).toBe('studyInstanceUid=1.2');
  });

  it('round-trips through the URL', () => {
    const filters = { studyInstanceUid: '1.2.3', trust: 'RVJ', action: 'SecurityAlert' as const };
    expect(parseAuditFilters(auditFiltersToParams(filters))).toEqual(filters);
  });
});
