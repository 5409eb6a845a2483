// Who may call which AE of the hub, for what: composes the ingest (C-STORE) and query/retrieve
// (C-FIND/C-MOVE) sessions an accepted association gets.
export * from './association-policy.service';
