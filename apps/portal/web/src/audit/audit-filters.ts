import { AUDIT_ACTIONS } from '../api/types';

/** The audit search as the URL carries it: only what the user typed. */
export interface AuditFilters {
  patientId?: string;
  studyInstanceUid?: string;
  actor?: string;
  action?: (typeof AUDIT_ACTIONS)[number];
  trust?: string;
  /** Calendar dates, YYYY-MM-DD, both inclusive. */
  from?: string;
  to?: string;
}

const KEYS = ['patientId', 'studyInstanceUid', 'actor', 'action', 'trust', 'from', 'to'] as const;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isDate(text: string): boolean {
  return DATE.test(text) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text);
}

export function parseAuditFilters(params: URLSearchParams): AuditFilters {
  const filters: AuditFilters = {};
  for (const key of ['patientId', 'studyInstanceUid', 'actor'] as const) {
    const value = params.get(key)?.trim();
    if (value) {
      filters[key] = value.slice(0, key === 'actor' ? 128 : 64);
    }
  }
  const trust = params.get('trust')?.trim().toUpperCase();
  if (trust) {
    filters.trust = trust.slice(0, 16);
  }
  const action = params.get('action');
  if (action && (AUDIT_ACTIONS as readonly string[]).includes(action)) {
    filters.action = action as AuditFilters['action'];
  }
  const from = params.get('from');
  const to = params.get('to');
  if (from && isDate(from)) {
    filters.from = from;
  }
  if (to && isDate(to) && (!filters.from || to >= filters.from)) {
    filters.to = to;
  }
  return filters;
}

export function auditFiltersToParams(filters: AuditFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of KEYS) {
    const value = filters[key];
    if (value) {
      params.set(key, value);
    }
  }
  return params;
}

/** The API's query for one page of the search (or, without a page, for the CSV export of all of it). */
export function auditApiQuery(filters: AuditFilters, page?: { page: number; pageSize: number }): URLSearchParams {
  const params = auditFiltersToParams(filters);
  if (filters.to) {
    const next = new Date(`${filters.to}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    params.set('to', next.toISOString().slice(0, 10));
  }
  if (page) {
    params.set('page', String(page.page));
    params.set('pageSize', String(page.pageSize));
  }
  return params;
}
