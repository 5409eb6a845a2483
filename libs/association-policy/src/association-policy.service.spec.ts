import { AuditService } from '@hub/audit';
import { HubConfig } from '@hub/config';
import { DicomNode, NodeRepository, Trust, TrustRepository } from '@hub/db';
import { AssociationRejectReason } from '@hub/dicom';
import { HubMetrics } from '@hub/observability';
import { QueryRetrieveService } from '@hub/query-retrieve';
import { AssociationPolicyService } from './association-policy.service';
import { InstanceIngestService } from '@hub/ingest';

const trust = (code: string, inbound: Partial<Trust> = {}): Trust => ({
  id: `${code}-id`,
  code,
  name: code,
  patientIdIssuer: code,
  inboundEmergencyAe: null,
  inboundElectiveAe: null,
  coercion: [],
  active: true,
  ...inbound,
});

const node = (aeTitle: string, values: Partial<DicomNode> = {}): DicomNode => ({
  id: `${aeTitle}-id`,
  trustId: 'RVJ-id',
  aeTitle,
  host: '127.0.0.1',
  port: 104,
  allowedIps: ['10.0.0.5'],
  canSend: true,
  receiveMode: 'push',
  maxAssociations: 2,
  queryRetrieve: false,
  tlsSubject: null,
  active: true,
  ...values,
});

describe('AssociationPolicyService', () => {
  let nodes: jest.Mocked<Pick<NodeRepository, 'getAll'>>;
  let trusts: jest.Mocked<Pick<TrustRepository, 'getAll'>>;
  let audit: jest.Mocked<Pick<AuditService, 'record'>>;
  let ingest: jest.Mocked<Pick<InstanceIngestService, 'openSession'>>;
  let policy: AssociationPolicyService;
  let metrics: HubMetrics;

  beforeEach(() => {
    nodes = {
      getAll: jest
        .fn()
        .mockResolvedValue([
          node('RVJ_PACS'),
          node('RVJ_VIEW', { canSend: false, receiveMode: 'pull' }),
          node('RVJ_MOD', { canSend: false, receiveMode: 'none' }),
          node('RVJ_OLD', { active: false }),
        ]),
    };
    trusts = {
      getAll: jest
        .fn()
        .mockResolvedValue([
          trust('RVJ'),
          trust('RA7', { inboundEmergencyAe: 'RA7_EMER', inboundElectiveAe: 'RA7_ELEC' }),
        ]),
    };
    audit = { record: jest.fn().mockResolvedValue(undefined) };
    ingest = { openSession: jest.fn().mockReturnValue({}) };
    metrics = new HubMetrics();
    policy = new AssociationPolicyService(
      nodes as unknown as NodeRepository,
      trusts as unknown as TrustRepository,
      audit as unknown as AuditService,
      ingest as unknown as InstanceIngestService,
      { openSession: jest.fn().mockReturnValue(undefined) } as unknown as QueryRetrieveService,
      metrics,
      { hub: { aeTitle: 'IEP_HUB' } } as HubConfig,
    );
  });

  const ask = (callingAeTitle: string, calledAeTitle: string, peerAddress = '10.0.0.5') =>
    policy.requestAssociation({ callingAeTitle, calledAeTitle, peerAddress });

  it('accepts a sending node from its address calling an inbound AE, with the trust and folder it names', async () => {
    const decision = await ask('RVJ_PACS', 'RA7_ELEC');
    expect(decision.accept).toBe(true);
    expect(ingest.openSession).toHaveBeenCalledWith(
      expect.objectContaining({ destination: expect.objectContaining({ kind: 'trust', folder: 'elective' }) }),
    );
    expect(audit.record).toHaveBeenCalledWith('association-accepted', expect.objectContaining({ sourceTrust: 'RVJ' }));
  });

  it.each([
    ['an unknown calling AE', 'NOBODY', 'RA7_EMER', '10.0.0.5', AssociationRejectReason.CallingAeNotRecognized],
    ['a deactivated node', 'RVJ_OLD', 'RA7_EMER', '10.0.0.5', AssociationRejectReason.CallingAeNotRecognized],
    ['a node without send', 'RVJ_VIEW', 'RA7_EMER', '10.0.0.5', AssociationRejectReason.CallingAeNotRecognized],
    [
      'a known node from another address',
      'RVJ_PACS',
      'RA7_EMER',
      '10.0.0.6',
      AssociationRejectReason.CallingAeNotRecognized,
    ],
    ['an unknown called AE', 'RVJ_PACS', 'RA7_OTHER', '10.0.0.5', AssociationRejectReason.CalledAeNotRecognized],
    [
      'a node that neither sends nor receives',
      'RVJ_MOD',
      'IEP_HUB',
      '10.0.0.5',
      AssociationRejectReason.CallingAeNotRecognized,
    ],
  ])('rejects %s, audits it and counts it by reason', async (_, calling, called, address, reason) => {
    expect(await ask(calling, called, address)).toEqual({ accept: false, reason });
    expect(audit.record).toHaveBeenCalledWith(
      'association-rejected',
      expect.objectContaining({ actor: { aeTitle: calling, address } }),
    );
    const label =
      reason === AssociationRejectReason.CalledAeNotRecognized
        ? 'called-ae-not-recognized'
        : 'calling-ae-not-recognized';
    expect(await metrics.render().then(({ body }) => body)).toContain(
      `iehub_associations_rejected_total{reason="${label}"} 1`,
    );
  });

  it.each([
    [
      'a calling AE in another case',
      'rvj_pacs',
      'RA7_EMER',
      AssociationRejectReason.CallingAeNotRecognized,
      'calling AE not recognized: "rvj_pacs" differs only in case from the configured "RVJ_PACS" (AE titles are case-sensitive)',
    ],
    [
      'a called inbound AE in another case',
      'RVJ_PACS',
      'Ra7_Emer',
      AssociationRejectReason.CalledAeNotRecognized,
      'called AE not recognized: "Ra7_Emer" differs only in case from the configured "RA7_EMER" (AE titles are case-sensitive)',
    ],
    [
      "the hub's AE in another case, from a node that only pulls",
      'RVJ_VIEW',
      'iep_hub',
      AssociationRejectReason.CallingAeNotRecognized,
      'calling AE is not allowed to send: "iep_hub" differs only in case from the configured "IEP_HUB" (AE titles are case-sensitive)',
    ],
  ])(
    'matches AE titles case-sensitively: rejects %s, naming the configured spelling',
    async (_, calling, called, reason, why) => {
      expect(await ask(calling, called)).toEqual({ accept: false, reason });
      expect(audit.record).toHaveBeenCalledWith(
        'association-rejected',
        expect.objectContaining({ detail: expect.objectContaining({ reason: why }) }),
      );
    },
  );

  it('names no spelling for a title that matches nothing in any case', async () => {
    await ask('NOBODY', 'RA7_EMER');
    expect(audit.record).toHaveBeenCalledWith(
      'association-rejected',
      expect.objectContaining({ detail: expect.objectContaining({ reason: 'calling AE not recognized' }) }),
    );
  });

  it('lets a pulling node that cannot send call the hub AE, for query/retrieve', async () => {
    const decision = await ask('RVJ_VIEW', 'IEP_HUB');
    expect(decision.accept).toBe(true);
    expect(ingest.openSession).toHaveBeenCalledWith(expect.objectContaining({ destination: { kind: 'hub' } }));
  });

  it('keeps deciding from the last directory when MySQL stops answering', async () => {
    jest.useFakeTimers({ now: Date.now() });
    try {
      expect((await ask('RVJ_PACS', 'RA7_EMER')).accept).toBe(true);
      nodes.getAll.mockRejectedValue(new Error('connect ECONNREFUSED'));
      jest.setSystemTime(Date.now() + 60_000);
      expect((await ask('RVJ_PACS', 'RA7_EMER')).accept).toBe(true);
      expect(nodes.getAll).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('fails (so the SCP rejects transiently) when MySQL has never answered', async () => {
    nodes.getAll.mockRejectedValue(new Error('connect ECONNREFUSED'));
    await expect(ask('RVJ_PACS', 'RA7_EMER')).rejects.toThrow('ECONNREFUSED');
  });
});
