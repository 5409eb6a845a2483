// What a process uses, read from /proc: peak memory of a receiver while it works (/proc/<pid>/status VmRSS summed
// over the process tree, sampled every 50 ms, plus the root process's own VmHWM, its kernel-tracked peak, which
// sampling cannot miss, at the end), and the CPU processes use from a point on (/proc/<pid>/stat).
import { readFileSync } from 'node:fs';
import { descendantPids, procStatFields, runningPids } from '../../test/support/dcmtk';

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

/** USER_HZ: the unit of utime and stime in /proc/<pid>/stat; 100 on every Linux this runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time a process has used so far, all its threads, user and system, in ms (10 ms resolution). */
function cpuTimeMs(pid: number): number | undefined {
  const fields = procStatFields(pid);
  // utime and stime are fields 14 and 15.
  return fields && ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Starts counting the CPU the given processes use; the function returned gives the ms they used since, or undefined
 * when /proc cannot tell (no processes, another OS, or one of them has gone).
 */
export function cpuSince(pids: number[]): () => number | undefined {
  const total = (): number | undefined => {
    let ms = 0;
    for (const pid of pids) {
      const used = cpuTimeMs(pid);
      if (used === undefined) {
        return undefined;
      }
      ms += used;
    }
    return pids.length > 0 ? ms : undefined;
  };
  const before = total();
  return () => {
    const after = total();
    return before === undefined || after === undefined ? undefined : after - before;
  };
}

/** The ids of running processes whose command name is one of `names` (from /proc/<pid>/comm). */
export function pidsNamed(...names: string[]): number[] {
  return runningPids().filter((pid) => {
    try {
      return names.includes(readFileSync(`/proc/${pid}/comm`, 'latin1').trim());
    } catch {
      return false; // gone since the listing
    }
  });
}
