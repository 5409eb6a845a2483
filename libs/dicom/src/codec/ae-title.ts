// AE title rules from DICOM PS3.5 (VR AE): at most 16 characters of the default repertoire,
// no backslash or control characters; leading and trailing spaces are not significant.

export const AE_TITLE_MAX_LENGTH = 16;

/** Returns a reason the AE title is invalid, or undefined when it is valid. */
export function aeTitleProblem(value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed.length === 0) {
    return 'empty';
  }
  if (trimmed.length > AE_TITLE_MAX_LENGTH) {
    return `longer than ${AE_TITLE_MAX_LENGTH} characters`;
  }
  if (/[\\\x00-\x1f\x7f-\uffff]/.test(trimmed)) {
    return 'contains a backslash, control or non-ASCII character';
  }
  return undefined;
}

/**
 * The significant part of an AE title as it arrives in a PDU (space padded). Bytes outside the AE
 * repertoire are replaced, so a hostile title can be logged, audited and compared safely (it then
 * matches no configured node).
 */
export function normalizeAeTitle(value: string): string {
  return value.trim().replace(/[^\x20-\x7e]/g, '?');
}
