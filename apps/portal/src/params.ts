import { BadRequestException, ParseUUIDPipe } from '@nestjs/common';

/** A UUID path parameter whose 400 names it. */
export const uuid = (name: string) =>
  new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException(`${name}: expected a UUID`) });

/** A required string field of a JSON body; 400 naming it otherwise. */
export function bodyText(body: unknown, name: string, maxLength = 1024): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new BadRequestException(`${name}: required`);
  }
  if (value.length > maxLength) {
    throw new BadRequestException(`${name}: at most ${maxLength} characters`);
  }
  return value;
}

export function optionalBodyText(body: unknown, name: string, maxLength = 64): string | undefined {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return value === undefined || value === null ? undefined : bodyText(body, name, maxLength);
}
