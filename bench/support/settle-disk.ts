import { execFileSync } from 'node:child_process';

/**
 * Writes back what earlier runs left dirty (hundreds of MiB of received files) before a measurement
 * starts, so that write-back lands in no receiver's figure: without it the direct relay time alone
 * moved by 2× from one run to the next.
 */
export function settleDisk(): void {
  execFileSync('sync');
}
