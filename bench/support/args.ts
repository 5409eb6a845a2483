// Command-line flags shared by the benchmarks: one reader, and the checks several of them need.

/** What a flag does: an option takes the next argument as its value, a switch takes none. */
export type FlagHandler = ((value: string) => void) | { switch: () => void };

/**
 * Reads `--name value` options and `--name` switches in order; an unknown flag, or an option without its
 * value, throws with the usage. `-h`/`--help` prints the usage and exits.
 */
export function readFlags(argv: readonly string[], usage: string, handlers: Record<string, FlagHandler>): void {
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '-h' || flag === '--help') {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    const handler = handlers[flag];
    if (!handler) {
      throw new Error(`unknown option ${flag}\n${usage}`);
    }
    if (typeof handler === 'function') {
      const value = argv[++i];
      if (value === undefined) {
        throw new Error(`${flag} needs a value`);
      }
      handler(value);
    } else {
      handler.switch();
    }
  }
}

/** A whole number ≥ min, or an error naming the flag. */
export function wholeNumber(flag: string, value: string, min = 1): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) {
    throw new Error(`${flag}: expected a whole number ≥ ${min}`);
  }
  return parsed;
}

/** A comma-separated list whose items must be among allowed, or an error naming the flag and the item. */
export function choiceList<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) {
      throw new Error(`${flag}: unknown ${JSON.stringify(item)} (expected ${allowed.join(', ')})`);
    }
  }
  return items as T[];
}
