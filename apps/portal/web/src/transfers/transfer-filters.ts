import {
  FOLDERS,
  TRANSFER_STATES,
  type Folder,
  type TransferListItem,
  type TransferSort,
  type TransferState,
} from '../api/types';

/** The transfers page's filters, as the URL carries them (only what the user typed goes there). */
export interface TransferFilters {
  state?: TransferState;
  /** ODS code, as sender or recipient (trust-bound users see only their own trust anyway). */
  trust?: string;
  folder?: Folder;
  studyInstanceUid?: string;
  patientId?: string;
  accessionNumber?: string;
  /** Calendar dates, YYYY-MM-DD, both inclusive. */
  from?: string;
  to?: string;
  withoutReport?: boolean;
}

const FILTER_KEYS = [
  'state',
  'trust',
  'folder',
  'studyInstanceUid',
  'patientId',
  'accessionNumber',
  'from',
  'to',
  'withoutReport',
] as const;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function validDate(text: string | null): string | undefined {
  if (!text || !DATE.test(text)) {
    return undefined;
  }
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text) ? text : undefined;
}

function text(value: string | null, maxLength: number): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed.slice(0, maxLength) : undefined;
}

/** Reads filters from the URL; values the API would refuse (an unknown state, a bad date) are dropped. */
export function parseTransferFilters(params: URLSearchParams): TransferFilters {
  const filters: TransferFilters = {};
  const state = params.get('state');
  if (state && (TRANSFER_STATES as readonly string[]).includes(state)) {
    filters.state = state as TransferState;
  }
  const trust = text(params.get('trust'), 16)?.toUpperCase();
  if (trust) {
    filters.trust = trust;
  }
  const folder = params.get('folder');
  if (folder && (FOLDERS as readonly string[]).includes(folder)) {
    filters.folder = folder as Folder;
  }
  // A UID is at most 64 characters of digits and dots; people paste it with spaces or quotes around it.
  const uid = text(params.get('studyInstanceUid'), 80)?.replace(/^["']|["']$/g, '');
  if (uid) {
    filters.studyInstanceUid = uid;
  }
  const patientId = text(params.get('patientId'), 64);
  if (patientId) {
    filters.patientId = patientId;
  }
  const accessionNumber = text(params.get('accessionNumber'), 16);
  if (accessionNumber) {
    filters.accessionNumber = accessionNumber;
  }
  const from = validDate(params.get('from'));
  const to = validDate(params.get('to'));
  if (from) {
    filters.from = from;
  }
  if (to && (!from || to >= from)) {
    filters.to = to;
  }
  if (params.get('withoutReport') === 'true') {
    filters.withoutReport = true;
  }
  return filters;
}

/** The URL's search parameters for these filters, in a stable order. */
export function transferFiltersToParams(filters: TransferFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (value !== undefined && value !== false && value !== '') {
      params.set(key, String(value));
    }
  }
  return params;
}

/** Filters as typed, cleaned as if they had come from the URL (trimmed, invalid values dropped). */
export function normalizeTransferFilters(filters: TransferFilters): TransferFilters {
  return parseTransferFilters(transferFiltersToParams(filters));
}

/** Which page of the listing, and its order: the server pages and sorts, so only one page crosses the wire. */
export interface TransferListing {
  /** From 1. */
  page: number;
  pageSize: number;
  sort: TransferSort;
  order: 'asc' | 'desc';
}

export const DEFAULT_LISTING: TransferListing = { page: 1, pageSize: 25, sort: 'received', order: 'desc' };

/** The table's column ids the server can sort by, and the sort each one asks for. */
export const SORTABLE_COLUMNS: Readonly<Record<string, TransferSort>> = {
  createdAt: 'received',
  exchange: 'exchange',
  folder: 'folder',
  state: 'state',
  studyDate: 'studyDate',
  hasReport: 'report',
  expiresAt: 'expires',
};

/** The column id that shows a server sort (the inverse of SORTABLE_COLUMNS). */
export function sortColumn(sort: TransferSort): string {
  return Object.entries(SORTABLE_COLUMNS).find(([, value]) => value === sort)?.[0] ?? 'createdAt';
}

/** How many pages `total` rows make, at least one. */
export function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / pageSize));
}

/**
 * GET /api/transfers parameters: `to` is inclusive for people and exclusive for the API, so it moves a day on.
 * The listing's defaults are left out, so the plain first page is plain /api/transfers.
 */
export function transferApiQuery(
  filters: TransferFilters,
  listing: TransferListing = DEFAULT_LISTING,
): Record<string, string | undefined> {
  let to: string | undefined;
  if (filters.to) {
    const next = new Date(`${filters.to}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    to = next.toISOString().slice(0, 10);
  }
  return {
    state: filters.state,
    trust: filters.trust,
    folder: filters.folder,
    studyInstanceUid: filters.studyInstanceUid,
    patientId: filters.patientId,
    accessionNumber: filters.accessionNumber,
    from: filters.from,
    to,
    withoutReport: filters.withoutReport ? 'true' : undefined,
    page: listing.page > 1 ? String(listing.page) : undefined,
    pageSize: String(listing.pageSize),
    sort: listing.sort !== 'received' ? listing.sort : undefined,
    order: listing.order !== 'desc' ? listing.order : undefined,
  };
}

const IN_FLIGHT: readonly string[] = ['queued', 'delivering'];

/** Whether any listed transfer is still moving, so the list should refresh by itself. */
export function anyInFlight(transfers: readonly Pick<TransferListItem, 'state'>[] | undefined): boolean {
  return transfers?.some((transfer) => IN_FLIGHT.includes(transfer.state)) ?? false;
}
