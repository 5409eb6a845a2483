import { BadRequestException } from '@nestjs/common';

/** Query-string helpers: a bad value is a 400 that names the parameter. */
export function optionalText(name: string, value: unknown, maxLength = 64): string | undefined {
  if (value === undefined || value === '') {
    return undefined;
  }
  if (typeof value !== 'string' || value.length > maxLength) {
    throw new BadRequestException(`${name}: expected one value of at most ${maxLength} characters`);
  }
  return value;
}

export function optionalDate(name: string, value: unknown): Date | undefined {
  const text = optionalText(name, value);
  if (text === undefined) {
    return undefined;
  }
  const date = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(text)
    ? new Date(text.length === 10 ? `${text}T00:00:00Z` : text)
    : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new BadRequestException(`${name}: expected an ISO date (2025-04-01) or date-time (2025-04-01T09:00:00Z)`);
  }
  return date;
}

export function optionalInt(name: string, value: unknown, min: number, max: number): number | undefined {
  const text = optionalText(name, value, 10);
  if (text === undefined) {
    return undefined;
  }
  const number = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new BadRequestException(`${name}: expected a whole number from ${min} to ${max}`);
  }
  return number;
}

export function optionalChoice<T extends string>(name: string, value: unknown, choices: readonly T[]): T | undefined {
  const text = optionalText(name, value);
  if (text !== undefined && !choices.includes(text as T)) {
    throw new BadRequestException(`${name}: expected one of ${choices.join(', ')}`);
  }
  return text as T | undefined;
}

/** A comma-separated list whose items must all be among the choices. */
export function optionalChoices<T extends string>(
  name: string,
  value: unknown,
  choices: readonly T[],
): T[] | undefined {
  const text = optionalText(name, value, 1000);
  if (text === undefined) {
    return undefined;
  }
  const items = text.split(',').map((item) => item.trim());
  const unknown = items.find((item) => !choices.includes(item as T));
  if (unknown !== undefined) {
    throw new BadRequestException(`${name}: unknown value "${unknown}" (expected ${choices.join(', ')})`);
  }
  return items as T[];
}

export function checkRange(from: Date | undefined, to: Date | undefined): void {
  if (from && to && !(from < to)) {
    throw new BadRequestException('to: must be after from');
  }
}

/** The filters that were set, as strings, for the audit record of a query. */
export function appliedFilter(values: Record<string, unknown>): Record<string, string> {
  const applied: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== false) {
      applied[key] =
        value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join(',') : String(value);
    }
  }
  return applied;
}
