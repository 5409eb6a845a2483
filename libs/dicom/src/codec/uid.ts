// UID rules from DICOM PS3.5 §9.1: at most 64 characters, dot-separated numeric components,
// no leading zero in a multi-digit component. Anything else (e.g. "../x") is hostile or broken
// and must never reach a file path or a query.

export const UID_MAX_LENGTH = 64;
const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** Strips the NUL or space padding that DICOM allows at the end of a UI value. */
export function trimUid(value: string): string {
  return value.replace(/[\0 ]+$/, '');
}

export function isValidUid(value: string | undefined): value is string {
  return value !== undefined && value.length > 0 && value.length <= UID_MAX_LENGTH && UID_PATTERN.test(value);
}

/** A received UID as it may appear in a log line: never raw bytes from the wire that fail the UID rules. */
export function uidForLog(value: string | undefined): string {
  return isValidUid(value) ? value : '(invalid UID)';
}
