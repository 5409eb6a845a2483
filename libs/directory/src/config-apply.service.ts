import { Injectable, Logger } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { AgreementConfig, HubConfig, NodeConfig, TrustConfig } from '@hub/config';
import { Agreement, AgreementRepository, DicomNode, NodeRepository, Trust, TrustRepository } from '@hub/db';

export interface ConfigChange {
  entity: 'trust' | 'node' | 'agreement';
  key: string;
  change: 'created' | 'updated' | 'removed';
  fields: string[];
}

/**
 * Applies the declarative hub configuration into MySQL. Idempotent: applying the same file twice
 * changes nothing. What the file no longer names is deactivated, never deleted, so history and
 * audit keep their references. Every change is audited.
 */
@Injectable()
export class ConfigApplyService {
  private readonly logger = new Logger(ConfigApplyService.name);

  constructor(
    private readonly trusts: TrustRepository,
    private readonly nodes: NodeRepository,
    private readonly agreements: AgreementRepository,
    private readonly audit: AuditService,
  ) {}

  async apply(config: HubConfig, actor = 'config-file'): Promise<ConfigChange[]> {
    const changes: ConfigChange[] = [];
    const trustIds = await this.applyTrusts(config.trusts, changes);
    await this.applyNodes(config.trusts, trustIds, changes);
    await this.applyAgreements(config.agreements, trustIds, changes);
    await this.audit.recordMany(
      changes.map((change) => ({
        name: 'config-changed' as const,
        event: { outcome: AuditOutcome.Success, actor: { user: actor }, detail: change },
      })),
    );
    if (changes.length > 0) {
      this.logger.log(`configuration applied: ${changes.length} change(s)`);
    }
    return changes;
  }

  private async applyTrusts(configured: TrustConfig[], changes: ConfigChange[]): Promise<Map<string, string>> {
    const existing = new Map((await this.trusts.getAll()).map((trust) => [trust.code, trust]));
    const ids = new Map<string, string>();
    // Inbound AE titles are unique: free the ones that move before giving them to another trust.
    const cleared = new Set<string>();
    for (const trust of existing.values()) {
      const wanted = configured.find((candidate) => candidate.code === trust.code);
      const emergency = wanted?.inbound.emergency ?? null;
      const elective = wanted?.inbound.elective ?? null;
      if (trust.inboundEmergencyAe !== emergency || trust.inboundElectiveAe !== elective) {
        await this.trusts.update(trust.id, { inboundEmergencyAe: null, inboundElectiveAe: null });
        cleared.add(trust.code);
      }
    }
    for (const wanted of configured) {
      const values = {
        code: wanted.code,
        name: wanted.name,
        patientIdIssuer: wanted.patientIdIssuer,
        inboundEmergencyAe: wanted.inbound.emergency ?? null,
        inboundElectiveAe: wanted.inbound.elective ?? null,
        coercion: wanted.coercion,
        active: true,
      };
      const current = existing.get(wanted.code);
      if (!current) {
        const created = await this.trusts.create(values);
        ids.set(wanted.code, created.id);
        changes.push({ entity: 'trust', key: wanted.code, change: 'created', fields: Object.keys(values) });
        continue;
      }
      ids.set(wanted.code, current.id);
      const fields = changedFields(current, values);
      if (fields.length > 0 || cleared.has(wanted.code)) {
        await this.trusts.update(current.id, values);
      }
      if (fields.length > 0) {
        changes.push({ entity: 'trust', key: wanted.code, change: 'updated', fields });
      }
    }
    for (const trust of existing.values()) {
      if (trust.active && !ids.has(trust.code)) {
        await this.trusts.update(trust.id, { active: false });
        changes.push({ entity: 'trust', key: trust.code, change: 'removed', fields: ['active'] });
      }
    }
    return ids;
  }

  private async applyNodes(trusts: TrustConfig[], trustIds: Map<string, string>, changes: ConfigChange[]) {
    const existing = new Map((await this.nodes.getAll()).map((node) => [node.aeTitle, node]));
    const seen = new Set<string>();
    for (const trust of trusts) {
      for (const wanted of trust.nodes) {
        seen.add(wanted.aeTitle);
        const values = nodeValues(wanted, trustIds.get(trust.code)!);
        const current = existing.get(wanted.aeTitle);
        if (!current) {
          await this.nodes.create(values);
          changes.push({ entity: 'node', key: wanted.aeTitle, change: 'created', fields: Object.keys(values) });
          continue;
        }
        const fields = changedFields(current, values);
        if (fields.length > 0) {
          await this.nodes.update(current.id, values);
          changes.push({ entity: 'node', key: wanted.aeTitle, change: 'updated', fields });
        }
      }
    }
    for (const node of existing.values()) {
      if (node.active && !seen.has(node.aeTitle)) {
        await this.nodes.update(node.id, { active: false });
        changes.push({ entity: 'node', key: node.aeTitle, change: 'removed', fields: ['active'] });
      }
    }
  }

  private async applyAgreements(
    configured: AgreementConfig[],
    trustIds: Map<string, string>,
    changes: ConfigChange[],
  ): Promise<void> {
    const key = (fromId: string, toId: string) => `${fromId}>${toId}`;
    const codes = new Map([...trustIds.entries()].map(([code, id]) => [id, code]));
    const existing = new Map((await this.agreements.getAll()).map((row) => [key(row.fromTrustId, row.toTrustId), row]));
    const seen = new Set<string>();
    for (const wanted of configured) {
      const fromTrustId = trustIds.get(wanted.from)!;
      const toTrustId = trustIds.get(wanted.to)!;
      const pairKey = key(fromTrustId, toTrustId);
      seen.add(pairKey);
      const values: Omit<Agreement, 'id'> = {
        fromTrustId,
        toTrustId,
        folders: [...wanted.folders].sort(),
        modalities: wanted.modalities ? [...wanted.modalities].sort() : null,
        activeFrom: wanted.activeFrom ? new Date(wanted.activeFrom) : null,
        activeUntil: wanted.activeUntil ? new Date(wanted.activeUntil) : null,
        suspended: wanted.suspended,
        active: true,
        source: 'config',
      };
      const label = `${wanted.from}->${wanted.to}`;
      const current = existing.get(pairKey);
      if (!current) {
        await this.agreements.create(values);
        changes.push({ entity: 'agreement', key: label, change: 'created', fields: Object.keys(values) });
        continue;
      }
      const fields = changedFields(current, values);
      if (fields.length > 0) {
        await this.agreements.update(current.id, values);
        changes.push({ entity: 'agreement', key: label, change: 'updated', fields });
      }
    }
    for (const [pairKey, row] of existing) {
      if (row.active && row.source === 'config' && !seen.has(pairKey)) {
        await this.agreements.update(row.id, { active: false });
        const label = `${codes.get(row.fromTrustId) ?? row.fromTrustId}->${codes.get(row.toTrustId) ?? row.toTrustId}`;
        changes.push({ entity: 'agreement', key: label, change: 'removed', fields: ['active'] });
      }
    }
  }
}

function nodeValues(node: NodeConfig, trustId: string): Omit<DicomNode, 'id'> {
  return {
    trustId,
    aeTitle: node.aeTitle,
    host: node.host,
    port: node.port,
    allowedIps: [...node.allowedIps],
    canSend: node.send,
    receiveMode: node.receive,
    maxAssociations: node.maxAssociations,
    queryRetrieve: node.queryRetrieve,
    tlsSubject: node.tls ? (node.certificateSubject ?? null) : null,
    active: true,
  };
}

/** Names of the fields whose values differ (dates by instant, arrays and objects by JSON). */
export function changedFields<T extends object>(current: T | Trust, wanted: Partial<T>): string[] {
  return Object.entries(wanted)
    .filter(([field, value]) => !sameValue((current as Record<string, unknown>)[field], value))
    .map(([field]) => field);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b;
  }
  if (typeof a === 'object' || typeof b === 'object') {
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return a === b;
}
