/** The server's minimum (libs/accounts/src/password.ts); checked here too so the form can say so at once. */
export const MIN_PASSWORD_LENGTH = 12;

/** What is wrong with a password change as typed, before asking the server, or undefined. */
export function passwordChangeProblem(input: { current: string; next: string; repeat: string }): string | undefined {
  if (!input.current) {
    return 'Type your current password.';
  }
  if (input.next.length < MIN_PASSWORD_LENGTH) {
    return `The new password needs at least ${MIN_PASSWORD_LENGTH} characters.`;
  }
  if (input.next !== input.repeat) {
    return 'The two new passwords differ.';
  }
  if (input.next === input.current) {
    return 'The new password must differ from the current one.';
  }
  return undefined;
}
