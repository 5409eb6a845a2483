// The public surface of @hub/dicom: only what other libs and apps use. Everything else in codec/,
// transport/, scp/ and scu/ is internal to the DICOM layer.

// codec: encodings, identifiers, statuses
export { aeTitleProblem } from './codec/ae-title';
export { isValidUid, uidForLog } from './codec/uid';
export { datasetEncoding } from './codec/transfer-syntax';
export { HEADER_SCAN_LIMIT, readDatasetHeader, type DatasetHeader } from './codec/dataset-header';
export { CHARACTER_SET_VRS, characterSetTerms, decodeText, encodeText } from './codec/character-set';
export { buildPart10Header, splitPart10 } from './codec/part10';
export {
  AssociationRejectReason,
  DimseStatus,
  formatStatus,
  isOutOfResources,
  isStoredStatus,
  OUT_OF_RESOURCES_RANGE,
} from './codec/dimse-status';
// the element reader and VR table, for code that walks data sets outside this lib (coercion)
export { ElementReader } from './codec/element-reader';
export { UNDEFINED_LENGTH, hasShortLength, maxValueLength, tagName } from './codec/vr';
export { leadingElementsLength } from './codec/leading-elements';

// transport
export { routeDimseLog } from './transport/dimse-log';

// scp: the hub's DICOM port and what an application implements behind it
export { DicomListener } from './scp/dicom-listener';
export type {
  AssociationDecision,
  AssociationRequest,
  ScpHandler,
  ScpSession,
  StoreOutcome,
  StoreRequest,
} from './scp/hub-scp';
export { AssociationLimits } from './scp/association-limits';
export type { ReceivedDataset, SpillFile } from './scp/store-sink';
export {
  matchesKey,
  type MoveOutcome,
  type QueryIdentifier,
  type QueryOutcome,
  type QueryRetrieveSession,
  type SubOperationCounts,
} from './scp/query-retrieve';

// scu: the hub's own associations
export { scuTargetFor, tlsMaterial } from './scu/scu-target';
export { echo, type EchoResult } from './scu/echo-scu';
export { findStudies, moveStudy } from './scu/query-retrieve-scu';
export { classifyAssociationFailure, classifySend, classifyStatus, type FailureClass } from './scu/failure-class';
export {
  AssociationFailedError,
  NOT_ANSWERED,
  sendStoredInstances,
  wasAnswered,
  type InstanceFeed,
  type DatasetTransform,
  type InstanceOutcome,
  type StoredInstance,
} from './scu/stored-instance-scu';
