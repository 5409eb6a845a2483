import { BadRequestException, ForbiddenException, Inject, Injectable, Logger } from '@nestjs/common';
import { CurrentUser, seesRestrictedStudies, trustScope } from '@hub/accounts';
import { AuditOutcome, AuditService } from '@hub/audit';
import { HUB_CONFIG, HubConfig } from '@hub/config';
import {
  AgreementRepository,
  NodeRepository,
  PULLABLE_TRANSFER_STATES,
  StudyRepository,
  TransferRepository,
  Trust,
  TrustRepository,
} from '@hub/db';
import { AssociationFailedError, findStudies, scuTargetFor } from '@hub/dicom';
import { isValidNhsNumber } from '@hub/coercion';
import { StudyRestrictionService } from '@hub/governance';
import { evaluateAgreement } from '@hub/routing';

export interface FindItInput {
  nhsNumber?: string;
  patientId?: string;
  issuer?: string;
  /** The trust searching on behalf of: a trust-bound user's own; an operator names one. */
  trust?: string;
}

export type TrustOutcome = 'answered' | 'timed-out' | 'refused' | 'failed' | 'no-query-node';

export interface FoundStudy {
  studyInstanceUid: string;
  studyDate: string | null;
  accessionNumber: string | null;
  studyDescription: string | null;
  modalities: string[];
}

export interface HubStudy extends FoundStudy {
  studyId: string;
  from: string;
  to: string;
  folder: string;
  receivedAt: string;
  /** Held in a live folder of the searching trust: the viewer can open it now. */
  viewable: boolean;
}

export interface TrustAnswer {
  trust: string;
  name: string;
  outcome: TrustOutcome;
  node?: string;
  /** The C-FIND key that carried the patient: the trust's nhsNumberKey, or PatientID with an issuer. */
  key?: string;
  elapsedMs: number;
  error?: string;
  studies: Array<FoundStudy & { heldAtHub: boolean; sourceIt: { from: string; studyInstanceUid: string } }>;
}

export interface FindItAnswer {
  patient: { patientId: string; issuer?: string; nhsNumber: boolean };
  trust: string;
  atHub: HubStudy[];
  trusts: TrustAnswer[];
}

/**
 * Find it: where has this patient been imaged? The studies the hub has seen from the trusts whose sharing
 * agreements let the searching trust see them, and a live C-FIND to each of those trusts' query/retrieve
 * nodes, all at once, each given at most findIt.timeoutSeconds. Audited as a Query naming the trusts asked.
 */
@Injectable()
export class FindItService {
  private readonly logger = new Logger(FindItService.name);

  constructor(
    private readonly trusts: TrustRepository,
    private readonly agreements: AgreementRepository,
    private readonly nodes: NodeRepository,
    private readonly studies: StudyRepository,
    private readonly transfers: TransferRepository,
    private readonly restriction: StudyRestrictionService,
    private readonly audit: AuditService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async search(caller: { user: CurrentUser; address?: string }, input: FindItInput, now = new Date()) {
    const patient = patientOf(input);
    const all = await this.trusts.getAll();
    const scope = trustScope(caller.user);
    const code = scope ?? input.trust;
    if (!code) {
      throw new BadRequestException('trust: name the trust to search for');
    }
    if (scope !== null && input.trust !== undefined && input.trust !== scope) {
      throw new ForbiddenException(`trust: you may search only for ${scope}`);
    }
    const searching = all.find((trust) => trust.code === code && trust.active);
    if (!searching) {
      throw new BadRequestException(`trust: no active trust ${code}`);
    }
    const byId = new Map(all.map((trust) => [trust.id, trust]));
    const sources = (await this.agreements.getAll())
      .filter(
        (agreement) =>
          agreement.toTrustId === searching.id &&
          evaluateAgreement(agreement, { folder: agreement.folders[0] as 'emergency', modalities: [], at: now })
            .allowed,
      )
      .map((agreement) => byId.get(agreement.fromTrustId))
      .filter((trust): trust is Trust => trust !== undefined && trust.active);

    const [atHub, answers] = await Promise.all([
      this.studiesAtHub(caller.user, patient, sources, searching, byId, now),
      Promise.all(sources.map((source) => this.askTrust(source, patient))),
    ]);
    const held = new Set(atHub.map((study) => study.studyInstanceUid));
    for (const answer of answers) {
      for (const study of answer.studies) {
        study.heldAtHub = held.has(study.studyInstanceUid);
      }
    }
    await this.audit.record('find-it-searched', {
      outcome: answers.every((answer) => answer.outcome === 'answered')
        ? AuditOutcome.Success
        : AuditOutcome.MinorFailure,
      actor: { user: caller.user.username, address: caller.address },
      destinationTrust: searching.code,
      patientId: patient.patientId,
      detail: {
        trust: searching.code,
        ...(patient.issuer ? { issuer: patient.issuer } : {}),
        studiesAtHub: atHub.length,
        trustsAsked: answers.map((answer) => ({
          trust: answer.trust,
          outcome: answer.outcome,
          matches: answer.studies.length,
        })),
      },
    });
    const answer: FindItAnswer = { patient, trust: searching.code, atHub, trusts: answers };
    return answer;
  }

  private async studiesAtHub(
    user: CurrentUser,
    patient: { patientId: string; issuer?: string },
    sources: Trust[],
    searching: Trust,
    byId: Map<string, Trust>,
    now: Date,
  ): Promise<HubStudy[]> {
    const found = (
      await this.studies.getByPatient(
        patient.patientId,
        sources.map((trust) => trust.id),
      )
    ).filter(
      (study) =>
        (!patient.issuer ||
          (study.issuerOfPatientId ?? byId.get(study.senderTrustId)?.patientIdIssuer) === patient.issuer) &&
        (seesRestrictedStudies(user) || !this.restriction.isRestricted(study)),
    );
    const result: HubStudy[] = [];
    for (const study of found) {
      const transfer = await this.transfers.getByStudy(study.id);
      result.push({
        studyId: study.id,
        studyInstanceUid: study.studyInstanceUid,
        studyDate: study.studyDate,
        accessionNumber: study.accessionNumber,
        studyDescription: study.studyDescription,
        modalities: (study.modalitiesInStudy ?? '').split('\\').filter(Boolean),
        from: byId.get(study.senderTrustId)?.code ?? '',
        to: byId.get(study.recipientTrustId)?.code ?? '',
        folder: study.folder,
        receivedAt: study.firstReceivedAt.toISOString(),
        viewable:
          study.recipientTrustId === searching.id &&
          transfer !== null &&
          PULLABLE_TRANSFER_STATES.includes(transfer.state) &&
          transfer.expiresAt > now,
      });
    }
    return result;
  }

  /** One trust's C-FIND, given at most the configured time; a slow trust does not hold up the answer. */
  private async askTrust(trust: Trust, patient: { patientId: string; issuer?: string }): Promise<TrustAnswer> {
    const started = Date.now();
    const base = { trust: trust.code, name: trust.name, studies: [] };
    const node = (await this.nodes.getAll()).find(
      (candidate) => candidate.trustId === trust.id && candidate.active && candidate.queryRetrieve,
    );
    if (!node) {
      return { ...base, outcome: 'no-query-node', elapsedMs: 0 };
    }
    const configured = this.config.trusts.find((candidate) => candidate.code === trust.code);
    const key = patient.issuer ? 'PatientID' : (configured?.nhsNumberKey ?? 'PatientID');
    const keys: Record<string, string> = {
      [key]: patient.patientId,
      ...(patient.issuer ? { IssuerOfPatientID: patient.issuer } : {}),
      StudyInstanceUID: '',
      StudyDate: '',
      AccessionNumber: '',
      StudyDescription: '',
      ModalitiesInStudy: '',
    };
    const limitMs = this.config.findIt.timeoutSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), limitMs);
    });
    const query = findStudies(scuTargetFor(node, this.config.hub), keys);
    // The association goes on in the background after a timeout (until its own timers end it): never unhandled.
    query.catch(() => undefined);
    const answer = { ...base, node: node.aeTitle, key };
    try {
      const result = await Promise.race([query, timeout]);
      const elapsedMs = Date.now() - started;
      if (result === 'timeout') {
        this.logger.warn(`Find it: ${node.aeTitle} gave no answer within ${limitMs} ms`);
        return { ...answer, outcome: 'timed-out', elapsedMs, error: `no answer within ${limitMs / 1000} s` };
      }
      if (result.status !== undefined && result.status !== 0) {
        return {
          ...answer,
          outcome: 'refused',
          elapsedMs,
          error: `C-FIND status 0x${result.status.toString(16).padStart(4, '0')}${result.comment ? `: ${result.comment}` : ''}`,
        };
      }
      return {
        ...answer,
        outcome: 'answered',
        elapsedMs,
        studies: result.matches
          .map((match) => foundStudy(match))
          .filter((study) => study.studyInstanceUid !== '')
          .map((study) => ({
            ...study,
            heldAtHub: false,
            sourceIt: { from: trust.code, studyInstanceUid: study.studyInstanceUid },
          })),
      };
    } catch (error) {
      const elapsedMs = Date.now() - started;
      if (error instanceof AssociationFailedError) {
        const kind = error.failure.kind;
        return {
          ...answer,
          outcome: kind === 'timeout' ? 'timed-out' : kind === 'rejected' || kind === 'refused' ? 'refused' : 'failed',
          elapsedMs,
          error: error.message,
        };
      }
      return { ...answer, outcome: 'failed', elapsedMs, error: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }
}

function patientOf(input: FindItInput): { patientId: string; issuer?: string; nhsNumber: boolean } {
  if (input.nhsNumber !== undefined) {
    const digits = input.nhsNumber.replace(/\s/g, '');
    if (!isValidNhsNumber(digits)) {
      throw new BadRequestException('nhsNumber: not a valid NHS number (ten digits with a modulus 11 check digit)');
    }
    return { patientId: digits, nhsNumber: true };
  }
  const patientId = input.patientId?.trim();
  if (!patientId) {
    throw new BadRequestException('nhsNumber: required (or patientId with issuer)');
  }
  if (patientId.length > 64 || /[*?\\]/.test(patientId)) {
    throw new BadRequestException('patientId: at most 64 characters, no wildcards');
  }
  const issuer = input.issuer?.trim();
  if (!issuer) {
    throw new BadRequestException('issuer: required with a patientId');
  }
  if (issuer.length > 64 || /[*?\\]/.test(issuer)) {
    throw new BadRequestException('issuer: at most 64 characters, no wildcards');
  }
  return { patientId, issuer, nhsNumber: false };
}

function text(value: unknown): string {
  if (Array.isArray(value)) {
    return value.map((item) => text(item)).join('\\');
  }
  return value === undefined || value === null ? '' : String(value).trim();
}

function foundStudy(match: Record<string, unknown>): FoundStudy {
  return {
    studyInstanceUid: text(match.StudyInstanceUID),
    studyDate: text(match.StudyDate) || null,
    accessionNumber: text(match.AccessionNumber) || null,
    studyDescription: text(match.StudyDescription) || null,
    modalities: text(match.ModalitiesInStudy).split('\\').filter(Boolean),
  };
}
