/** Every problem found in the configuration, so an operator can fix them all in one pass. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    /** One line per problem, `path: problem`. */
    readonly issues: string[],
    heading = 'Invalid configuration',
  ) {
    super(`${heading}:\n${issues.map((issue) => `  ${issue}`).join('\n')}`);
  }
}

/** Formats a zod-style path as it would be written in JavaScript: `trusts[1].nodes[0].aeTitle`. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) {
    return '(top level)';
  }
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}
