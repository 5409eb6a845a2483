import { matchesKey } from '@hub/dicom';

/** Study-level attributes the hub matches on (C-FIND and QIDO-RS alike); other keys are return keys only. */
export const STUDY_MATCH_KEYS = [
  'PatientID',
  'IssuerOfPatientID',
  'PatientName',
  'PatientBirthDate',
  'PatientSex',
  'StudyInstanceUID',
  'StudyDate',
  'StudyTime',
  'AccessionNumber',
  'StudyDescription',
  'StudyID',
  'ModalitiesInStudy',
];

/** Series- and instance-level attributes the hub matches on. */
export const INSTANCE_MATCH_KEYS = [
  'SeriesInstanceUID',
  'Modality',
  'SeriesNumber',
  'SOPInstanceUID',
  'SOPClassUID',
  'InstanceNumber',
];

/** Every key the hub can match on (of the given keywords) matches the view; other keys are return keys only. */
export function matchesAll(keys: Record<string, string>, view: Record<string, string>, keywords: string[]): boolean {
  return keywords.every((keyword) => !(keyword in keys) || matchesKey(keyword, keys[keyword], view[keyword]));
}
