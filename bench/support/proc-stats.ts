// Peak memory of a receiver while it works: /proc/<pid>/status VmRSS summed over the process tree, sampled every
// 50 ms, plus the root process's own VmHWM (its kernel-tracked peak, which sampling cannot miss) at the end.
import { readFileSync } from 'node:fs';
import { descendantPids } from '../../test/support/dcmtk';

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface RssPeak {
  /** Largest sampled sum of VmRSS over the root and its descendants (forked association handlers, workers). */
  treeSampledMiB: number;
  /** The root process's VmHWM when sampling stopped. */
  rootHwmMiB: number;
  /** max(treeSampledMiB, rootHwmMiB): the figure reported. */
  peakMiB: number;
  samples: number;
}

export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private peakKiB = 0;
  private samples = 0;

  constructor(
    private readonly rootPid: number,
    private readonly intervalMs = 50,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  /** Stops sampling; call before the receiver exits so VmHWM is still readable. */
  stop(): RssPeak {
    clearInterval(this.timer);
    this.sample();
    const rootHwm = statusKiB(this.rootPid, 'VmHWM') ?? 0;
    const toMiB = (kib: number): number => kib / 1024;
    return {
      treeSampledMiB: toMiB(this.peakKiB),
      rootHwmMiB: toMiB(rootHwm),
      peakMiB: toMiB(Math.max(this.peakKiB, rootHwm)),
      samples: this.samples,
    };
  }

  private sample(): void {
    let sum = 0;
    for (const pid of [this.rootPid, ...descendantPids(this.rootPid)]) {
      sum += statusKiB(pid, 'VmRSS') ?? 0;
    }
    this.samples++;
    this.peakKiB = Math.max(this.peakKiB, sum);
  }
}
