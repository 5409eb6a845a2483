import { AuditActor } from '@hub/audit';
import { Study } from '@hub/db';

/** The audit participants every event about a study carries. */
export function studySubject(study: Study, codes: Map<string, string>, actor: AuditActor) {
  return {
    actor,
    sourceTrust: codes.get(study.senderTrustId),
    destinationTrust: codes.get(study.recipientTrustId),
    patientId: study.patientId ?? undefined,
    studyInstanceUid: study.studyInstanceUid,
  };
}
