import { summariseAccess } from './audit-search.service';
import { AuditEventView } from './audit-views';

function event(fields: Partial<AuditEventView>): AuditEventView {
  return {
    id: '1',
    occurredAt: '2026-12-03T10:00:00.000Z',
    action: 'DicomInstancesTransferred',
    event: 'instances-stored',
    outcome: 0,
    actorUser: null,
    actorAeTitle: null,
    actorAddress: null,
    sourceTrust: null,
    destinationTrust: null,
    patientId: 'P1',
    studyInstanceUid: '1.2.3',
    detail: {},
    ...fields,
  };
}

describe('summariseAccess (who accessed this patient)', () => {
  it('credits each node with its own trust: a sender with the source, a pulling or querying PACS with the recipient', () => {
    const accessors = summariseAccess([
      event({ event: 'instances-stored', actorAeTitle: 'RVJ_PACS', sourceTrust: 'RVJ', destinationTrust: 'RBA' }),
      event({ event: 'query-performed', action: 'Query', actorAeTitle: 'RBA_PACS', destinationTrust: 'RBA' }),
      event({ event: 'instances-retrieved', actorAeTitle: 'RBA_PACS', sourceTrust: 'RVJ', destinationTrust: 'RBA' }),
      event({
        event: 'fetch-identified',
        action: 'Query',
        actorUser: 'dr-who',
        sourceTrust: 'RVJ',
        destinationTrust: 'RBA',
      }),
    ]);
    expect(accessors.map(({ actor, kind, trusts, events }) => ({ actor, kind, trusts, events }))).toEqual([
      { actor: 'RVJ_PACS', kind: 'node', trusts: ['RVJ'], events: ['instances-stored'] },
      { actor: 'RBA_PACS', kind: 'node', trusts: ['RBA'], events: ['query-performed', 'instances-retrieved'] },
      { actor: 'dr-who', kind: 'user', trusts: [], events: ['fetch-identified'] },
    ]);
  });
});
