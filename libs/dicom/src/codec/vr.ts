/** The one VR table: which value representations have the 2-byte length form in explicit VR (PS3.5 7.1.2). */

/** A VR's two characters as one number, e.g. 'SQ' → 0x5351: compared without allocating a string. */
export const vrCode = (vr: string): number => (vr.charCodeAt(0) << 8) | vr.charCodeAt(1);

// Every other VR, including ones defined in the future, has the 4-byte length form (PS3.5 7.1.2).
export const SHORT_LENGTH_VRS: ReadonlySet<number> = new Set(
  'AE AS AT CS DA DS DT FL FD IS LO LT PN SH SL SS ST TM UI UL US'.split(' ').map(vrCode),
);

/** Whether an explicit VR element header of this VR is 8 bytes (2-byte length) rather than 12. */
export function hasShortLength(vr: string | number): boolean {
  return SHORT_LENGTH_VRS.has(typeof vr === 'string' ? vrCode(vr) : vr);
}

/**
 * The most one value may hold (PS3.5 table 6.2-1): characters for SH, LO, ST, LT and PN (per component
 * group), bytes for the rest. Absent: binary, or unlimited (UC, UR, UT).
 */
const MAX_VALUE_LENGTHS: Readonly<Record<string, number>> = {
  AE: 16,
  AS: 4,
  CS: 16,
  DA: 8,
  DS: 16,
  DT: 26,
  IS: 12,
  LO: 64,
  LT: 10240,
  PN: 64,
  SH: 16,
  ST: 1024,
  TM: 14,
  UI: 64,
};

/** A value's maximum length under its VR, or undefined where the standard sets none. */
export function maxValueLength(vr: string): number | undefined {
  return MAX_VALUE_LENGTHS[vr];
}

export const VR_SQ = vrCode('SQ');
export const VR_UN = vrCode('UN');
export const VR_OB = vrCode('OB');
export const VR_OW = vrCode('OW');

/** Item, delimiters and the undefined length (PS3.5 7.5). */
export const ITEM = 0xfffee000;
export const ITEM_DELIMITATION = 0xfffee00d;
export const SEQUENCE_DELIMITATION = 0xfffee0dd;
export const PIXEL_DATA = 0x7fe00010;
export const UNDEFINED_LENGTH = 0xffffffff;

/** A tag as DICOM writes it, e.g. (0010,0020). */
export function tagName(tag: number): string {
  const hex = tag.toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}
