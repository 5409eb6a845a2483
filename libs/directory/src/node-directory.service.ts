import { Injectable } from '@nestjs/common';
import { NodeRepository, TrustRepository } from '@hub/db';

/** A trust's DICOM node as the operator lists it: where it is, what it may do, and how it must connect. */
export interface NodeView {
  aeTitle: string;
  trust: string;
  host: string;
  port: number;
  /** May send studies to the hub. */
  send: boolean;
  /** How it gets its trust's studies: pushed by the hub, pulled by it, or not at all. */
  receive: 'push' | 'pull' | 'none';
  maxAssociations: number;
  queryRetrieve: boolean;
  /** The certificate subject it must present over DICOM TLS, or null for a plain connection. */
  tlsSubject: string | null;
  allowedIps: string[];
  /** False once removed from the configuration. */
  active: boolean;
}

/** The nodes the hub knows, as the configuration last applied them. Read-only. */
@Injectable()
export class NodeDirectoryService {
  constructor(
    private readonly nodes: NodeRepository,
    private readonly trusts: TrustRepository,
  ) {}

  async list(): Promise<NodeView[]> {
    const codes = await this.trusts.codesById();
    return (await this.nodes.getAll())
      .map((node) => ({
        aeTitle: node.aeTitle,
        trust: codes.get(node.trustId) ?? node.trustId,
        host: node.host,
        port: node.port,
        send: node.canSend,
        receive: node.receiveMode,
        maxAssociations: node.maxAssociations,
        queryRetrieve: node.queryRetrieve,
        tlsSubject: node.tlsSubject,
        allowedIps: node.allowedIps,
        active: node.active,
      }))
      .sort((a, b) => a.trust.localeCompare(b.trust) || a.aeTitle.localeCompare(b.aeTitle));
  }
}
