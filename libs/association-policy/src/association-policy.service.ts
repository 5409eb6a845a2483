import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import { DicomNode, NodeRepository, Trust, TrustRepository } from '@hub/db';
import { AssociationDecision, AssociationRejectReason, AssociationRequest, ScpHandler } from '@hub/dicom';
import { HubMetrics } from '@hub/observability';
import { QueryRetrieveService } from '@hub/query-retrieve';
import { IngestDestination, InstanceIngestService } from '@hub/ingest';

const DIRECTORY_TTL_MS = 5000;

interface DirectorySnapshot {
  loadedAt: number;
  nodes: Map<string, DicomNode>;
  trusts: Map<string, Trust>;
  inbound: Map<string, { trust: Trust; folder: 'emergency' | 'elective' }>;
}

/**
 * Who may open an association: a configured node from one of its addresses, either allowed to send
 * and calling a trust's inbound AE, or calling the hub AE (query/retrieve for a node that receives,
 * stores for a pending fetch). Every decision is audited with the peer's address.
 */
@Injectable()
export class AssociationPolicyService implements ScpHandler {
  private readonly logger = new Logger(AssociationPolicyService.name);
  private readonly hubAeTitle: string;
  private snapshot?: DirectorySnapshot;

  constructor(
    private readonly nodes: NodeRepository,
    private readonly trusts: TrustRepository,
    private readonly audit: AuditService,
    private readonly ingest: InstanceIngestService,
    private readonly queryRetrieve: QueryRetrieveService,
    private readonly metrics: HubMetrics,
    @Inject(HUB_CONFIG) config: HubConfig,
  ) {
    this.hubAeTitle = config.hub.aeTitle;
  }

  async requestAssociation(request: AssociationRequest): Promise<AssociationDecision> {
    const directory = await this.directory();
    const node = directory.nodes.get(request.callingAeTitle);
    const callsHub = request.calledAeTitle === this.hubAeTitle;
    // The hub AE serves query/retrieve to nodes that receive, and stores to sources of a fetch.
    const mayCall = node && (node.canSend || (callsHub && (node.receiveMode !== 'none' || node.queryRetrieve)));
    if (!node || !mayCall) {
      const reason = node
        ? `calling AE is not allowed to send${callsHub ? '' : caseOnlyDifference(request.calledAeTitle, [this.hubAeTitle])}`
        : `calling AE not recognized${caseOnlyDifference(request.callingAeTitle, directory.nodes.keys())}`;
      return this.reject(request, AssociationRejectReason.CallingAeNotRecognized, reason);
    }
    if (node.tlsSubject !== null) {
      const problem = certificateProblem(node.tlsSubject, request.tlsSubject);
      if (problem) {
        return this.reject(request, AssociationRejectReason.CallingAeNotRecognized, problem);
      }
    }
    if (!node.allowedIps.includes(request.peerAddress)) {
      return this.reject(
        request,
        AssociationRejectReason.CallingAeNotRecognized,
        `calling AE not allowed from ${request.peerAddress}`,
      );
    }
    const senderTrust = directory.trusts.get(node.trustId);
    if (!senderTrust) {
      return this.reject(request, AssociationRejectReason.CallingAeNotRecognized, 'calling AE has no active trust');
    }
    let destination: IngestDestination;
    if (callsHub) {
      destination = { kind: 'hub' };
    } else {
      const inbound = directory.inbound.get(request.calledAeTitle);
      if (!inbound) {
        const known = [this.hubAeTitle, ...directory.inbound.keys()];
        return this.reject(
          request,
          AssociationRejectReason.CalledAeNotRecognized,
          `called AE not recognized${caseOnlyDifference(request.calledAeTitle, known)}`,
        );
      }
      destination = { kind: 'trust', ...inbound };
    }
    await this.audit
      .record('association-accepted', {
        outcome: AuditOutcome.Success,
        actor: { aeTitle: request.callingAeTitle, address: request.peerAddress },
        sourceTrust: senderTrust.code,
        destinationTrust: destination.kind === 'trust' ? destination.trust.code : undefined,
        detail: {
          calledAeTitle: request.calledAeTitle,
          folder: destination.kind === 'trust' ? destination.folder : undefined,
        },
      })
      // With MySQL down nothing can be stored either: each C-STORE is refused (0xA700) and retried later.
      .catch((error: Error) => this.logger.error(`audit of an accepted association failed: ${error.message}`));
    const session = this.ingest.openSession({
      node,
      senderTrust,
      destination,
      calledAeTitle: request.calledAeTitle,
      peerAddress: request.peerAddress,
    });
    if (callsHub) {
      session.queryRetrieve = this.queryRetrieve.openSession({
        node,
        trust: senderTrust,
        peerAddress: request.peerAddress,
        calledAeTitle: request.calledAeTitle,
      });
    }
    return { accept: true, session };
  }

  /**
   * Nodes and trusts as of at most DIRECTORY_TTL_MS ago. When MySQL does not answer, the last
   * snapshot stands, so senders get a per-instance 0xA700 they retry, not a rejected association.
   */
  private async directory(): Promise<DirectorySnapshot> {
    const now = Date.now();
    if (this.snapshot && now - this.snapshot.loadedAt < DIRECTORY_TTL_MS) {
      return this.snapshot;
    }
    try {
      const [nodes, trusts] = await Promise.all([this.nodes.getAll(), this.trusts.getAll()]);
      const activeTrusts = new Map(trusts.filter((trust) => trust.active).map((trust) => [trust.id, trust]));
      const inbound = new Map<string, { trust: Trust; folder: 'emergency' | 'elective' }>();
      for (const trust of activeTrusts.values()) {
        if (trust.inboundEmergencyAe) {
          inbound.set(trust.inboundEmergencyAe, { trust, folder: 'emergency' });
        }
        if (trust.inboundElectiveAe) {
          inbound.set(trust.inboundElectiveAe, { trust, folder: 'elective' });
        }
      }
      this.snapshot = {
        loadedAt: now,
        nodes: new Map(nodes.filter((node) => node.active).map((node) => [node.aeTitle, node])),
        trusts: activeTrusts,
        inbound,
      };
    } catch (error) {
      if (!this.snapshot) {
        throw error;
      }
      this.logger.warn(`directory reload failed, using the last one: ${(error as Error).message}`);
    }
    return this.snapshot;
  }

  async tlsFailure(peerAddress: string, problem: string): Promise<void> {
    this.metrics.associationRejected('tls-failure');
    await this.audit.record('tls-failure', {
      outcome: AuditOutcome.SeriousFailure,
      actor: { address: peerAddress },
      detail: { reason: problem },
    });
  }

  async overLimit(request: AssociationRequest, problem: string): Promise<void> {
    this.metrics.associationRejected('local-limit-exceeded');
    // Reason 2 of source service-provider (presentation): local limit exceeded.
    await this.auditRejection(request, 2, `local limit exceeded: ${problem}`);
  }

  async protocolViolation(request: Partial<AssociationRequest> & { peerAddress: string }, problem: string) {
    this.logger.warn(`aborted connection from ${request.callingAeTitle ?? request.peerAddress}: ${problem}`);
    this.metrics.associationRejected('protocol-violation');
    await this.audit.record('association-aborted', {
      outcome: AuditOutcome.SeriousFailure,
      actor: { aeTitle: request.callingAeTitle, address: request.peerAddress },
      detail: { calledAeTitle: request.calledAeTitle ?? '', reason: problem },
    });
  }

  private async reject(
    request: AssociationRequest,
    reason: AssociationRejectReason,
    description: string,
  ): Promise<AssociationDecision> {
    this.metrics.associationRejected(
      reason === AssociationRejectReason.CalledAeNotRecognized
        ? 'called-ae-not-recognized'
        : 'calling-ae-not-recognized',
    );
    await this.auditRejection(request, reason, description);
    return { accept: false, reason };
  }

  private async auditRejection(request: AssociationRequest, reason: number, description: string): Promise<void> {
    this.logger.warn(`rejected association ${request.callingAeTitle} -> ${request.calledAeTitle}: ${description}`);
    await this.audit.record('association-rejected', {
      outcome: AuditOutcome.MinorFailure,
      actor: { aeTitle: request.callingAeTitle, address: request.peerAddress },
      detail: {
        calledAeTitle: request.calledAeTitle,
        callingAeTitle: request.callingAeTitle,
        reason: description,
        rejectReasonCode: reason,
      },
    });
  }
}

/**
 * AE titles match case-sensitively (PS3.8; see docs/conformance.md), and configuration validation refuses
 * two titles that differ only in case: so a title that matches one configured title ignoring case can only
 * be a peer's spelling mistake, named in the rejection so that its administrator sees what to fix.
 */
function caseOnlyDifference(title: string, configured: Iterable<string>): string {
  for (const candidate of configured) {
    if (candidate !== title && candidate.toUpperCase() === title.toUpperCase()) {
      return `: "${title}" differs only in case from the configured "${candidate}" (AE titles are case-sensitive)`;
    }
  }
  return '';
}

/**
 * Why the certificate a node presented (if any) does not let it in as that node: it must have come over
 * DICOM TLS, and every part of the configured subject ("CN=RVJ_PACS,O=North Bristol") must match.
 */
function certificateProblem(wanted: string, presented: Record<string, string> | undefined): string | undefined {
  if (!presented) {
    return 'calling AE must connect over DICOM TLS';
  }
  for (const part of wanted.split(',')) {
    const [key, ...rest] = part.split('=');
    const value = rest.join('=').trim();
    if (presented[key.trim()] !== value) {
      return `certificate subject ${key.trim()}=${presented[key.trim()] ?? '(none)'} is not the configured ${key.trim()}=${value}`;
    }
  }
  return undefined;
}
