import { Agreement } from '@hub/db';

export type AgreementDecision = { allowed: true } | { allowed: false; reason: string };

/** Modalities that document a study rather than image it: they travel with the images they belong to. */
const DOCUMENT_MODALITIES = new Set(['SR', 'DOC', 'KO', 'PR', 'OT']);

export interface ExchangeToCheck {
  folder: 'emergency' | 'elective';
  /** Modalities in the study (e.g. ['CT', 'SR']). */
  modalities: string[];
  at: Date;
}

/**
 * Whether an agreement lets a study through now: it must exist and be in force (not removed, not
 * suspended, inside its dates), cover the folder, and — when it names modalities — cover every
 * imaging modality in the study (reports and presentation states ride along with their images).
 * A study of documents only (e.g. a late report) is covered by any agreement in force.
 */
export function evaluateAgreement(agreement: Agreement | null, exchange: ExchangeToCheck): AgreementDecision {
  if (!agreement || !agreement.active) {
    return { allowed: false, reason: 'no sharing agreement between these trusts' };
  }
  if (agreement.suspended) {
    return { allowed: false, reason: 'sharing agreement suspended' };
  }
  if (agreement.activeFrom && exchange.at < agreement.activeFrom) {
    return { allowed: false, reason: `sharing agreement not in force until ${agreement.activeFrom.toISOString()}` };
  }
  if (agreement.activeUntil && exchange.at >= agreement.activeUntil) {
    return { allowed: false, reason: `sharing agreement lapsed on ${agreement.activeUntil.toISOString()}` };
  }
  if (!agreement.folders.includes(exchange.folder)) {
    return { allowed: false, reason: `sharing agreement does not cover the ${exchange.folder} folder` };
  }
  if (agreement.modalities && agreement.modalities.length > 0) {
    const imaging = exchange.modalities.filter((modality) => !DOCUMENT_MODALITIES.has(modality));
    const uncovered = imaging.filter((modality) => !agreement.modalities!.includes(modality));
    if (uncovered.length > 0) {
      return { allowed: false, reason: `sharing agreement does not cover modality ${uncovered.join(', ')}` };
    }
  }
  return { allowed: true };
}
