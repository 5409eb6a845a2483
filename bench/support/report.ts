import type { SetName } from './datasets';

export interface RunResult {
  wallMs: number;
  peakRssMiB: number;
  stored: number;
  /** Why the run does not count (a storescu failed, instances missing); undefined when it is good. */
  problem?: string;
}

export interface ConfigResult {
  set: SetName;
  parallelism: number;
  /** The driver's label: hub, storescp, orthanc, hub+tls, storescp+tls, "hub log=error"… */
  receiver: string;
  instances: number;
  bytes: number;
  runs: RunResult[];
  /** Median wall time over good runs, ms. */
  medianWallMs?: number;
  instancesPerSecond?: number;
  mibPerSecond?: number;
  /** Largest peak over the runs. */
  peakRssMiB?: number;
  /** Start-up failure or every run failed. */
  error?: string;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarize(result: ConfigResult): ConfigResult {
  const good = result.runs.filter((r) => !r.problem);
  if (good.length === 0) {
    return { ...result, error: result.error ?? result.runs.map((r) => r.problem).join('; ') };
  }
  const wall = median(good.map((r) => r.wallMs));
  return {
    ...result,
    medianWallMs: wall,
    instancesPerSecond: result.instances / (wall / 1000),
    mibPerSecond: result.bytes / 1048576 / (wall / 1000),
    peakRssMiB: Math.max(...result.runs.map((r) => r.peakRssMiB)),
  };
}

const fmt = (n: number | undefined, digits = 0): string => (n === undefined ? '-' : n.toFixed(digits));

function ratio(a: ConfigResult | undefined, b: ConfigResult | undefined): string {
  if (!a?.instancesPerSecond || !b?.instancesPerSecond) {
    return '-';
  }
  return (a.instancesPerSecond / b.instancesPerSecond).toFixed(2);
}

/** The slowest and fastest good run's instances/s, "min–max". */
function rateRange(r: ConfigResult): string {
  const rates = r.runs.filter((x) => !x.problem).map((x) => r.instances / (x.wallMs / 1000));
  if (rates.length === 0) {
    return '-';
  }
  const digits = Math.max(...rates) < 10 ? 2 : 0;
  return `${fmt(Math.min(...rates), digits)}–${fmt(Math.max(...rates), digits)}`;
}

/**
 * One line per set × parallelism for each pair [a, b] of receiver labels measured in the same run: the ratio of
 * their median instances/s, and the range of the per-round ratios (a's run k against b's run k).
 */
export function formatRatios(results: readonly ConfigResult[], pairs: ReadonlyArray<[string, string]>): string {
  const lines: string[] = [];
  const configs = [...new Set(results.map((r) => `${r.set} ×${r.parallelism}`))];
  for (const config of configs) {
    const at = (receiver: string): ConfigResult | undefined =>
      results.find((r) => `${r.set} ×${r.parallelism}` === config && r.receiver === receiver);
    for (const [a, b] of pairs) {
      const ra = at(a);
      const rb = at(b);
      if (!ra || !rb) {
        continue;
      }
      const rounds: number[] = [];
      for (let k = 0; k < Math.min(ra.runs.length, rb.runs.length); k++) {
        if (!ra.runs[k].problem && !rb.runs[k].problem) {
          rounds.push(rb.runs[k].wallMs / ra.runs[k].wallMs);
        }
      }
      const spread = rounds.length ? ` (per round ${fmt(Math.min(...rounds), 2)}–${fmt(Math.max(...rounds), 2)})` : '';
      lines.push(`  ${config}  ${a} / ${b}: ${ratio(ra, rb)}${spread}`);
    }
  }
  return lines.join('\n');
}

/** Plain-text table: one row per set × parallelism × receiver; ratios compare throughput at the same parallelism. */
export function formatTable(results: readonly ConfigResult[]): string {
  const find = (r: ConfigResult, receiver: string): ConfigResult | undefined =>
    results.find((x) => x.set === r.set && x.parallelism === r.parallelism && x.receiver === receiver);
  const header = [
    'set',
    'parallel',
    'receiver',
    'instances/s',
    'range',
    'MiB/s',
    'peak RSS MiB',
    'vs storescp',
    'hub/storescp',
    'hub/Orthanc',
    'runs ok',
  ];
  const rows = results.map((r) => {
    const hub = r.receiver === 'hub';
    return [
      r.set,
      String(r.parallelism),
      r.receiver,
      r.error ? 'FAILED' : fmt(r.instancesPerSecond, (r.instancesPerSecond ?? 0) < 10 ? 2 : 0),
      rateRange(r),
      fmt(r.mibPerSecond, 1),
      fmt(r.peakRssMiB),
      ratio(r, find(r, 'storescp')),
      hub ? ratio(r, find(r, 'storescp')) : '-',
      hub ? ratio(r, find(r, 'orthanc')) : '-',
      `${r.runs.filter((x) => !x.problem).length}/${r.runs.length}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const errors = results
    .filter((r) => r.error)
    .map((r) => `  ${r.set} ×${r.parallelism} ${r.receiver}: ${r.error!.split('\n')[0]}`);
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...(errors.length ? ['', 'failures:', ...errors] : []),
  ].join('\n');
}
