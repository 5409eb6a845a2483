import { passwordChangeProblem } from './password-change';

describe('password change form', () => {
  const ok = { current: 'old-password-1', next: 'a-new-password-2', repeat: 'a-new-password-2' };

  it('accepts a long enough new password typed twice', () => {
    expect(passwordChangeProblem(ok)).toBeUndefined();
  });

  it('says what is wrong, one thing at a time', () => {
    expect(passwordChangeProblem({ ...ok, current: '' })).toBe('Type your current password.');
    expect(passwordChangeProblem({ ...ok, next: 'short', repeat: 'short' })).toMatch(/at least 12 characters/);
    expect(passwordChangeProblem({ ...ok, repeat: 'a-new-password-3' })).toBe('The two new passwords differ.');
    expect(passwordChangeProblem({ ...ok, next: ok.current, repeat: ok.current })).toMatch(/must differ/);
  });
});
