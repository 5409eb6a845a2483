// How the portal writes times, durations, states and audit outcomes. Pure, so unit tests pin them down.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "03 Dec 2026, 14:05" (or with seconds, 14:05:09) in the given time zone, the browser's by default. */
export function formatDateTime(
  iso: string | null | undefined,
  options: { timeZone?: string; seconds?: boolean } = {},
): string {
  if (!iso) {
    return '—';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return '—';
  }
  return new Intl.DateTimeFormat('en-GB', {
    day: '2-digit',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: options.seconds ? '2-digit' : undefined,
    hourCycle: 'h23',
    timeZone: options.timeZone,
  }).format(date);
}

/** A DICOM DA value (20240131) as "31 Jan 2024"; anything else as it came. */
export function formatDicomDate(value: string | null | undefined): string {
  if (!value) {
    return '—';
  }
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!match) {
    return value;
  }
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  if (date.getUTCMonth() !== Number(match[2]) - 1) {
    return value;
  }
  return new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(
    date,
  );
}

/** Time left before a study is purged from its folder: "2 d 3 h", "17 h 59 min", "4 min", or "expired". */
export function timeLeft(expiresAt: string, now: Date = new Date()): string {
  const ms = new Date(expiresAt).getTime() - now.getTime();
  if (Number.isNaN(ms)) {
    return '—';
  }
  if (ms <= 0) {
    return 'expired';
  }
  if (ms >= DAY) {
    return `${Math.floor(ms / DAY)} d ${Math.floor((ms % DAY) / HOUR)} h`;
  }
  if (ms >= HOUR) {
    return `${Math.floor(ms / HOUR)} h ${Math.floor((ms % HOUR) / MINUTE)} min`;
  }
  return `${Math.max(1, Math.floor(ms / MINUTE))} min`;
}

/** Transfer states in words a person reads. */
export function stateLabel(state: string): string {
  const labels: Record<string, string> = {
    queued: 'Queued',
    delivering: 'Delivering',
    delivered: 'Delivered',
    'partially-delivered': 'Partially delivered',
    failed: 'Failed',
    'awaiting-pull': 'Awaiting pull',
    suspended: 'Suspended',
    expired: 'Expired',
    cancelled: 'Cancelled',
  };
  return labels[state] ?? state;
}

/** A colour for each state; the text always says the state too, colour is never the only sign. */
export function stateColor(state: string): string {
  switch (state) {
    case 'delivered':
      return 'green';
    case 'failed':
      return 'red';
    case 'partially-delivered':
    case 'suspended':
      return 'orange';
    case 'queued':
    case 'delivering':
      return 'blue';
    default:
      return 'gray';
  }
}

/** PS3.15 EventOutcomeIndicator in words. */
export function outcomeLabel(outcome: number): string {
  switch (outcome) {
    case 0:
      return 'Success';
    case 4:
      return 'Minor failure';
    case 8:
      return 'Serious failure';
    case 12:
      return 'Major failure';
    default:
      return `Outcome ${outcome}`;
  }
}

/** "3 / 5" and the percentage for a progress bar (0 when there is nothing to deliver). */
export function deliveredProgress(delivered: number, total: number): { text: string; percent: number } {
  return { text: `${delivered} / ${total}`, percent: total > 0 ? Math.round((delivered / total) * 100) : 0 };
}

/** Bytes as people read disk sizes: "512 B", "1.5 GB", "2.0 TB" (powers of 1024). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** How long ago, roughly: "just now", "5 min", "2 h 10 min", "3 d 4 h". */
export function waitedFor(sinceIso: string, now: Date = new Date()): string {
  const ms = now.getTime() - new Date(sinceIso).getTime();
  if (Number.isNaN(ms)) {
    return '—';
  }
  if (ms < MINUTE) {
    return 'just now';
  }
  if (ms < HOUR) {
    return `${Math.floor(ms / MINUTE)} min`;
  }
  if (ms < DAY) {
    return `${Math.floor(ms / HOUR)} h ${Math.floor((ms % HOUR) / MINUTE)} min`;
  }
  return `${Math.floor(ms / DAY)} d ${Math.floor((ms % DAY) / HOUR)} h`;
}
