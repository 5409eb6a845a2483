import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import { NodeRepository, TrustRepository } from '@hub/db';
import { AssociationDecision, AssociationRejectReason, AssociationRequest, ScpHandler } from '@hub/dicom';
import { IngestDestination, InstanceIngestService } from './instance-ingest.service';

/**
 * Who may open an association: a configured node allowed to send, from one of its addresses,
 * calling the hub AE or a trust's inbound AE. Every decision is audited with the peer's address.
 */
@Injectable()
export class AssociationPolicyService implements ScpHandler {
  private readonly logger = new Logger(AssociationPolicyService.name);
  private readonly hubAeTitle: string;

  constructor(
    private readonly nodes: NodeRepository,
    private readonly trusts: TrustRepository,
    private readonly audit: AuditService,
    private readonly ingest: InstanceIngestService,
    @Inject(HUB_CONFIG) config: HubConfig,
  ) {
    this.hubAeTitle = config.hub.aeTitle;
  }

  async requestAssociation(request: AssociationRequest): Promise<AssociationDecision> {
    const node = await this.nodes.getActiveByAeTitle(request.callingAeTitle);
    if (!node || !node.canSend) {
      const reason = node ? 'calling AE is not allowed to send' : 'calling AE not recognized';
      return this.reject(request, AssociationRejectReason.CallingAeNotRecognized, reason);
    }
    if (!node.allowedIps.includes(request.peerAddress)) {
      return this.reject(
        request,
        AssociationRejectReason.CallingAeNotRecognized,
        `calling AE not allowed from ${request.peerAddress}`,
      );
    }
    const senderTrust = await this.trusts.getById(node.trustId);
    if (!senderTrust || !senderTrust.active) {
      return this.reject(request, AssociationRejectReason.CallingAeNotRecognized, 'calling AE has no active trust');
    }
    let destination: IngestDestination;
    if (request.calledAeTitle === this.hubAeTitle) {
      destination = { kind: 'hub' };
    } else {
      const inbound = await this.trusts.getByInboundAe(request.calledAeTitle);
      if (!inbound) {
        return this.reject(request, AssociationRejectReason.CalledAeNotRecognized, 'called AE not recognized');
      }
      destination = { kind: 'trust', trust: inbound.trust, folder: inbound.folder };
    }
    await this.audit.record('association-accepted', {
      outcome: AuditOutcome.Success,
      actor: { aeTitle: request.callingAeTitle, address: request.peerAddress },
      sourceTrust: senderTrust.code,
      destinationTrust: destination.kind === 'trust' ? destination.trust.code : undefined,
      detail: {
        calledAeTitle: request.calledAeTitle,
        folder: destination.kind === 'trust' ? destination.folder : undefined,
      },
    });
    return {
      accept: true,
      session: this.ingest.openSession({
        node,
        senderTrust,
        destination,
        calledAeTitle: request.calledAeTitle,
        peerAddress: request.peerAddress,
      }),
    };
  }

  async protocolViolation(request: Partial<AssociationRequest> & { peerAddress: string }, problem: string) {
    this.logger.warn(`aborted connection from ${request.callingAeTitle ?? request.peerAddress}: ${problem}`);
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
    return { accept: false, reason };
  }
}
