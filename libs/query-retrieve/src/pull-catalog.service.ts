import { Injectable } from '@nestjs/common';
import {
  InstanceRecord,
  InstanceRepository,
  Study,
  StudyRepository,
  Transfer,
  PULLABLE_TRANSFER_STATES,
  TransferRepository,
  Trust,
  TrustRepository,
} from '@hub/db';
import { CoercionContext, CoercionRule, coerceAttributes } from '@hub/coercion';

/** One study in a recipient's folders, with what the recipient's coercion makes of it. */
export interface PullableStudy {
  transfer: Transfer;
  study: Study;
  rules: CoercionRule[];
  context: CoercionContext;
  /** Study-level attributes as the recipient sees them (after coercion), by keyword. */
  attributes: Record<string, string>;
  instances: InstanceRecord[];
  /** Study-level attributes as stored (before coercion), and instances per series: worked out once per study. */
  stored: Record<string, string | null | undefined>;
  seriesSizes: Map<string, number>;
}

/**
 * A recipient trust's folders as its pulling nodes see them: the live transfers filed for it, with
 * their stored instances and the study attributes morphed by the trust's own coercion rules, so a
 * C-FIND answers the values the trust would receive.
 */
@Injectable()
export class PullCatalogService {
  constructor(
    private readonly transfers: TransferRepository,
    private readonly studies: StudyRepository,
    private readonly instances: InstanceRepository,
    private readonly trusts: TrustRepository,
  ) {}

  async load(recipient: Trust, options: { studyInstanceUids?: string[] } = {}): Promise<PullableStudy[]> {
    const transfers = await this.transfers.getForRecipient(recipient.id, PULLABLE_TRANSFER_STATES);
    return this.build(transfers, options, () => recipient);
  }

  /**
   * Every recipient's folders at once, for those who oversee the hub (operators, governance): the values as
   * stored, since they receive nothing themselves. `recipient` is the trust each study is filed for.
   */
  async loadAll(options: { studyInstanceUids?: string[] } = {}): Promise<PullableStudy[]> {
    const transfers = await this.transfers.getByStates(PULLABLE_TRANSFER_STATES);
    return this.build(transfers, options, () => undefined);
  }

  private async build(
    transfers: Transfer[],
    options: { studyInstanceUids?: string[] },
    viewerOf: (recipientTrustId: string) => Trust | undefined,
  ): Promise<PullableStudy[]> {
    const studies = new Map((await this.studies.getByIds(transfers.map((t) => t.studyId))).map((s) => [s.id, s]));
    const wanted = options.studyInstanceUids ? new Set(options.studyInstanceUids) : undefined;
    const selected = transfers.filter((transfer) => {
      const study = studies.get(transfer.studyId);
      return study && (!wanted || wanted.has(study.studyInstanceUid));
    });
    const instances = await this.instances.getStoredForStudies(selected.map((t) => t.studyId));
    const byStudy = new Map<string, InstanceRecord[]>();
    for (const instance of instances) {
      const list = byStudy.get(instance.studyId);
      if (list) {
        list.push(instance);
      } else {
        byStudy.set(instance.studyId, [instance]);
      }
    }
    const trusts = new Map((await this.trusts.getAll()).map((trust) => [trust.id, trust]));
    return selected
      .map((transfer) => {
        const study = studies.get(transfer.studyId)!;
        const sender = trusts.get(transfer.senderTrustId);
        const viewer = viewerOf(transfer.recipientTrustId);
        const rules = viewer?.coercion ?? [];
        const context = {
          sender: { code: sender?.code ?? '', patientIdIssuer: sender?.patientIdIssuer ?? '' },
          recipient: { code: trusts.get(transfer.recipientTrustId)?.code ?? '' },
        };
        const instances = byStudy.get(study.id) ?? [];
        const stored = studyAttributes(study, instances);
        const seriesSizes = new Map<string, number>();
        for (const instance of instances) {
          seriesSizes.set(instance.seriesInstanceUid, (seriesSizes.get(instance.seriesInstanceUid) ?? 0) + 1);
        }
        return {
          transfer,
          study,
          rules,
          context,
          attributes: coerceAttributes(stored, rules, context).values,
          instances,
          stored,
          seriesSizes,
        };
      })
      .filter((pullable) => pullable.instances.length > 0);
  }

  /** Series- or image-level attributes of one instance merged over its study's, coerced the same way. */
  instanceView(pullable: PullableStudy, instance: InstanceRecord): Record<string, string> {
    const raw = {
      ...pullable.stored,
      SeriesInstanceUID: instance.seriesInstanceUid,
      Modality: instance.modality,
      SeriesNumber: instance.seriesNumber?.toString(),
      NumberOfSeriesRelatedInstances: String(pullable.seriesSizes.get(instance.seriesInstanceUid) ?? 0),
      SOPInstanceUID: instance.sopInstanceUid,
      SOPClassUID: instance.sopClassUid,
      InstanceNumber: instance.instanceNumber?.toString(),
      AvailableTransferSyntaxUID: instance.transferSyntaxUid,
    };
    return coerceAttributes(raw, pullable.rules, pullable.context).values;
  }
}

function studyAttributes(study: Study, instances: InstanceRecord[]): Record<string, string | null | undefined> {
  const modalities = [...new Set(instances.map((instance) => instance.modality).filter(Boolean))];
  return {
    PatientID: study.patientId,
    IssuerOfPatientID: study.issuerOfPatientId,
    PatientName: study.patientName,
    PatientBirthDate: study.patientBirthDate,
    PatientSex: study.patientSex,
    StudyInstanceUID: study.studyInstanceUid,
    StudyDate: study.studyDate,
    StudyTime: study.studyTime,
    AccessionNumber: study.accessionNumber,
    StudyDescription: study.studyDescription,
    StudyID: study.studyId,
    ModalitiesInStudy: study.modalitiesInStudy ?? (modalities.join('\\') || null),
    NumberOfStudyRelatedSeries: String(new Set(instances.map((instance) => instance.seriesInstanceUid)).size),
    NumberOfStudyRelatedInstances: String(instances.length),
  };
}
