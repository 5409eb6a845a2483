import type { Agreement } from '../api/types';

/** One word for where an agreement stands, most decisive first: removed, suspended, lapsed or not yet, in force. */
export function agreementStatus(
  agreement: Pick<Agreement, 'active' | 'suspended' | 'inForce' | 'activeFrom' | 'activeUntil'>,
  now: Date = new Date(),
): { label: string; color: string } {
  if (!agreement.active) {
    return { label: 'Removed', color: 'gray' };
  }
  if (agreement.suspended) {
    return { label: 'Suspended', color: 'orange' };
  }
  if (agreement.activeUntil && new Date(agreement.activeUntil) <= now) {
    return { label: 'Lapsed', color: 'red' };
  }
  if (agreement.activeFrom && new Date(agreement.activeFrom) > now) {
    return { label: 'Not yet active', color: 'gray' };
  }
  return agreement.inForce ? { label: 'In force', color: 'green' } : { label: 'Not in force', color: 'gray' };
}
