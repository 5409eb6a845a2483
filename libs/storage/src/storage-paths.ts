import { isValidUid } from '@hub/dicom';

const INTERNAL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface InstanceLocation {
  recipientTrustId: string;
  folder: 'emergency' | 'elective';
  senderNodeId: string;
  studyInstanceUid: string;
  sopInstanceUid: string;
}

/**
 * Where an instance lives, relative to the storage directory. Built only from internal ids and
 * UIDs that pass the DICOM UID rules, so no received value can steer a path (no "..", no "/").
 */
export function instanceRelativePath(location: InstanceLocation): string {
  for (const id of [location.recipientTrustId, location.senderNodeId]) {
    if (!INTERNAL_ID.test(id)) {
      throw new Error(`not an internal id: ${JSON.stringify(id)}`);
    }
  }
  for (const uid of [location.studyInstanceUid, location.sopInstanceUid]) {
    if (!isValidUid(uid)) {
      throw new Error(`not a valid UID: ${JSON.stringify(uid)}`);
    }
  }
  return [
    'studies',
    location.recipientTrustId,
    location.folder,
    location.senderNodeId,
    location.studyInstanceUid,
    `${location.sopInstanceUid}.dcm`,
  ].join('/');
}
