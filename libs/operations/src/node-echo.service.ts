import { Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { AuditActor, AuditOutcome, AuditService } from '@hub/audit';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import { NodeRepository, TrustRepository } from '@hub/db';
import { EchoResult, aeTitleProblem, echo as cEcho, scuTargetFor } from '@hub/dicom';

/** What "C-ECHO now" answers: the node, how the echo went, and how long it took. */
export interface NodeEchoView {
  aeTitle: string;
  host: string;
  port: number;
  /**
   * The hub's own AE title (hub.aeTitle), which it calls from when it pushes, queries and retrieves: the
   * AE the node must allow as a calling AE.
   */
  callingAeTitle: string;
  ok: boolean;
  /** success, a status other than success, or how the association failed. */
  result: 'success' | 'status' | 'refused' | 'rejected' | 'aborted' | 'timeout' | 'network' | 'not-answered';
  status: number | null;
  roundTripMs: number;
  message: string;
  checkedAt: string;
}

/** The operator's "C-ECHO now": a Verification from the hub's AE to one node, answered and audited as it went. */
@Injectable()
export class NodeEchoService {
  private readonly logger = new Logger(NodeEchoService.name);

  constructor(
    private readonly nodes: NodeRepository,
    private readonly trusts: TrustRepository,
    private readonly audit: AuditService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async echo(aeTitle: string, actor: AuditActor, now = new Date()): Promise<NodeEchoView> {
    const node = aeTitleProblem(aeTitle) === undefined ? await this.nodes.getByAeTitle(aeTitle) : null;
    if (!node || !node.active) {
      throw new NotFoundException(`no node ${aeTitle}`);
    }
    // As delivery reaches the node (over DICOM TLS when it requires it), so the echo tests that same path.
    const result = await cEcho(scuTargetFor(node, this.config.hub));
    const view = toView(node, this.config.hub.aeTitle, result, now);
    const trust = await this.trusts.getById(node.trustId);
    await this.audit.record('node-echoed', {
      outcome: view.ok ? AuditOutcome.Success : AuditOutcome.SeriousFailure,
      actor,
      destinationTrust: trust?.code,
      detail: {
        node: `${node.aeTitle}@${node.host}:${node.port}`,
        result: view.result,
        ...(view.status !== null ? { status: view.status } : {}),
        roundTripMs: view.roundTripMs,
        ...(view.ok ? {} : { error: view.message }),
      },
    });
    this.logger.log(`C-ECHO ${node.aeTitle} by ${actor.user ?? '?'}: ${view.result} in ${view.roundTripMs} ms`);
    return view;
  }
}

function toView(
  node: { aeTitle: string; host: string; port: number },
  callingAeTitle: string,
  result: EchoResult,
  now: Date,
): NodeEchoView {
  const base = {
    aeTitle: node.aeTitle,
    host: node.host,
    port: node.port,
    callingAeTitle,
    roundTripMs: result.roundTripMs,
  };
  const checkedAt = now.toISOString();
  if (result.kind === 'answered') {
    const ok = result.status === 0;
    return {
      ...base,
      ok,
      result: ok ? 'success' : 'status',
      status: result.status,
      message: result.message,
      checkedAt,
    };
  }
  return { ...base, ok: false, result: result.kind, status: null, message: result.message, checkedAt };
}
