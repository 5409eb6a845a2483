import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** Runs openssl in dir (throws with its output when it fails). */
export function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/**
 * A throwaway PKI for DICOM TLS tests and benchmarks: a CA (`ca.crt`, `ca.key`) and a function that makes
 * certificates it signs, each valid two days for IP:127.0.0.1 (`<name>.crt`, `<name>.key`; paths returned).
 */
export function makeTestCa(
  dir: string,
  caSubject: string,
): (name: string, subject: string) => { key: string; cert: string } {
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    caSubject,
    '-days',
    '2',
  );
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  return (name, subject) => {
    openssl(
      dir,
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    );
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      'san.ext',
    );
    return { key: path.join(dir, `${name}.key`), cert: path.join(dir, `${name}.crt`) };
  };
}
