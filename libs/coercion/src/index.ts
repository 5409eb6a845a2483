// Coercion: the rules a trust states for what it receives (set, prefix, copy, remove, with templates and
// the NHS number check), applied to every data set and query answer the hub hands out.
export * from './coercion';
export * from './coercion-transform';
