import { Injectable, NotFoundException } from '@nestjs/common';
import { AuditOutcome, AuditService } from '@hub/audit';
import { mayAccessExchange } from '@hub/accounts';
import { Agreement, AgreementRepository, TrustRepository } from '@hub/db';
import { evaluateAgreement } from '@hub/routing';
import { PortalCaller, auditActor } from './portal-actor';

export interface AgreementView {
  id: string;
  from: string;
  to: string;
  folders: string[];
  modalities: string[] | null;
  activeFrom: string | null;
  activeUntil: string | null;
  suspended: boolean;
  /** False once removed from the configuration. */
  active: boolean;
  source: string;
  /** Whether it lets an emergency or elective study through now. */
  inForce: boolean;
}

/**
 * Sharing agreements in the portal. An operator may suspend or resume one (audited as a
 * configuration change); the router's sweep then holds or releases its queued deliveries. The
 * configuration file stays the source of truth: applying it again sets `suspended` back to what it says.
 */
@Injectable()
export class AgreementAdminService {
  constructor(
    private readonly agreements: AgreementRepository,
    private readonly trusts: TrustRepository,
    private readonly audit: AuditService,
  ) {}

  async list(caller: PortalCaller): Promise<AgreementView[]> {
    const codes = await this.trusts.codesById();
    return (await this.agreements.getAll())
      .map((agreement) => mapAgreement(agreement, codes))
      .filter((view) => mayAccessExchange(caller.user, { sender: view.from, recipient: view.to }))
      .sort((a, b) => `${a.from}>${a.to}`.localeCompare(`${b.from}>${b.to}`));
  }

  async setSuspended(caller: PortalCaller, id: string, suspended: boolean): Promise<AgreementView> {
    const agreement = await this.agreements.getById(id);
    if (!agreement) {
      throw new NotFoundException(`no agreement ${id}`);
    }
    const codes = await this.trusts.codesById();
    if (agreement.suspended !== suspended) {
      await this.agreements.update(agreement.id, { suspended });
      const view = mapAgreement(agreement, codes);
      await this.audit.record('config-changed', {
        outcome: AuditOutcome.Success,
        actor: auditActor(caller),
        sourceTrust: view.from,
        destinationTrust: view.to,
        detail: { entity: 'agreement', key: `${view.from}->${view.to}`, change: 'updated', fields: ['suspended'] },
      });
    }
    return mapAgreement({ ...agreement, suspended }, codes);
  }
}

function mapAgreement(agreement: Agreement, codes: Map<string, string>, now = new Date()): AgreementView {
  const inForce = (['emergency', 'elective'] as const).some(
    (folder) => evaluateAgreement(agreement, { folder, modalities: [], at: now }).allowed,
  );
  return {
    id: agreement.id,
    from: codes.get(agreement.fromTrustId) ?? agreement.fromTrustId,
    to: codes.get(agreement.toTrustId) ?? agreement.toTrustId,
    folders: agreement.folders,
    modalities: agreement.modalities,
    activeFrom: agreement.activeFrom?.toISOString() ?? null,
    activeUntil: agreement.activeUntil?.toISOString() ?? null,
    suspended: agreement.suspended,
    active: agreement.active,
    source: agreement.source,
    inForce,
  };
}
