/** How many associations may be open at once, in total and from one calling AE title. */
export interface AssociationCaps {
  total: number;
  perCallingAe: number;
}

export type AssociationSlot = { ok: true; release: () => void } | { ok: false; problem: string };

/**
 * Counts the receiver's open associations. A slot is taken when a well-formed A-ASSOCIATE-RQ arrives
 * and given back when the association ends, however it ends; over a cap the caller is refused
 * (A-ASSOCIATE-RJ transient, local limit exceeded) and may retry, as PACS do.
 */
export class AssociationLimits {
  private total = 0;
  private readonly perCallingAe = new Map<string, number>();

  constructor(private readonly caps: AssociationCaps) {}

  acquire(callingAeTitle: string): AssociationSlot {
    const fromCaller = this.perCallingAe.get(callingAeTitle) ?? 0;
    if (this.total >= this.caps.total) {
      return { ok: false, problem: `${this.total} associations open, the most allowed (dicom.maxAssociations)` };
    }
    if (fromCaller >= this.caps.perCallingAe) {
      return {
        ok: false,
        problem: `${fromCaller} associations open from ${callingAeTitle}, the most allowed (dicom.maxAssociationsPerCallingAe)`,
      };
    }
    this.total += 1;
    this.perCallingAe.set(callingAeTitle, fromCaller + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) {
          return;
        }
        released = true;
        this.total -= 1;
        const left = (this.perCallingAe.get(callingAeTitle) ?? 1) - 1;
        if (left === 0) {
          this.perCallingAe.delete(callingAeTitle);
        } else {
          this.perCallingAe.set(callingAeTitle, left);
        }
      },
    };
  }

  /** Open associations now, for logs and tests. */
  get open(): number {
    return this.total;
  }
}
