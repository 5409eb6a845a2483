import type { Agreement, Folder } from '../api/types';
import { agreementStatus } from './agreement-status';

export interface AgreementGrid {
  /** Every trust named by an agreement, sorted; rows are senders, columns recipients. */
  trusts: string[];
  /** cell(from, to): where the agreement for this folder stands, or undefined when there is none. */
  cell(from: string, to: string): { label: string; color: string } | undefined;
}

/**
 * The trust × trust grid for one folder. A pair with several agreements (e.g. one removed, one current)
 * shows the one that decides: in force first, then suspended, lapsed, not yet active, removed.
 */
export function agreementGrid(agreements: readonly Agreement[], folder: Folder, now: Date = new Date()): AgreementGrid {
  const rank = ['In force', 'Suspended', 'Lapsed', 'Not yet active', 'Not in force', 'Removed'];
  const cells = new Map<string, { label: string; color: string }>();
  const trusts = new Set<string>();
  for (const agreement of agreements) {
    trusts.add(agreement.from);
    trusts.add(agreement.to);
    if (!agreement.folders.includes(folder)) {
      continue;
    }
    const key = `${agreement.from}\u0000${agreement.to}`;
    const status = agreementStatus(agreement, now);
    const current = cells.get(key);
    if (!current || rank.indexOf(status.label) < rank.indexOf(current.label)) {
      cells.set(key, status);
    }
  }
  return {
    trusts: [...trusts].sort(),
    cell: (from, to) => cells.get(`${from}\u0000${to}`),
  };
}
