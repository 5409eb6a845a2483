import { DUMMY_PASSWORD_HASH, hashPassword, passwordProblem, verifyPassword } from './password';

describe('password hashing (scrypt)', () => {
  it('verifies the password it hashed, and no other', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{88}$/);
    await expect(verifyPassword('correct horse battery staple', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct horse battery stapl', stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
  });

  it('salts every hash, so the same password never hashes the same twice', async () => {
    const [a, b] = await Promise.all([hashPassword('same password here'), hashPassword('same password here')]);
    expect(a).not.toBe(b);
    expect(a.split('$')[4]).not.toBe(b.split('$')[4]);
  });

  it('treats a malformed or foreign hash as a mismatch rather than an error', async () => {
    for (const stored of ['', 'plain', 'bcrypt$2b$10$abc', 'scrypt$0$8$1$AAAA$AAAA', 'scrypt$16384$8$1$AAAA$']) {
      await expect(verifyPassword('anything at all', stored)).resolves.toBe(false);
    }
  });

  it('has a dummy hash that matches no password (for unknown user names)', async () => {
    await expect(verifyPassword('', DUMMY_PASSWORD_HASH)).resolves.toBe(false);
    await expect(verifyPassword('password1234', DUMMY_PASSWORD_HASH)).resolves.toBe(false);
  });

  it('refuses short passwords, naming the field', () => {
    expect(passwordProblem('short')).toBe('password: at least 12 characters');
    expect(passwordProblem('long enough now')).toBeUndefined();
  });
});
