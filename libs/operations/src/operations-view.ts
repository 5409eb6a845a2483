/** One push node as the operator on call sees it. */
export interface PushNodeView {
  aeTitle: string;
  trust: string;
  host: string;
  port: number;
  /** Delivery jobs in the node's queue, by BullMQ state. */
  queue: { waiting: number; active: number; delayed: number; failed: number };
  /** The transfer to this node's trust that has waited longest, emergency before elective. */
  oldestWaiting: { transferId: string; folder: string; state: string; since: string } | null;
  /** Delivery rounds to this node in the last hour that failed at least one instance. */
  failuresLastHour: number;
}

export interface OperationsView {
  checkedAt: string;
  nodes: PushNodeView[];
  storage: { freeBytes: number; totalBytes: number } | null;
}

export interface WaitingTransfer {
  id: string;
  folder: string;
  state: string;
  createdAt: Date;
}

/** Emergency before elective, then the longest waiting first. */
export function oldestWaiting<T extends WaitingTransfer>(transfers: readonly T[]): T | undefined {
  return [...transfers].sort(
    (a, b) =>
      Number(b.folder === 'emergency') - Number(a.folder === 'emergency') ||
      a.createdAt.getTime() - b.createdAt.getTime(),
  )[0];
}

/** Failed delivery rounds per node ("AE@host:port" as the delivery audit names it). */
export function failuresByNode(
  events: ReadonlyArray<{ outcome: number; detail: Record<string, unknown> }>,
): Map<string, number> {
  const failures = new Map<string, number>();
  for (const event of events) {
    const node = event.detail.node;
    const failed = Number(event.detail.failed ?? 0);
    if (typeof node === 'string' && (failed > 0 || event.outcome !== 0)) {
      failures.set(node, (failures.get(node) ?? 0) + 1);
    }
  }
  return failures;
}
