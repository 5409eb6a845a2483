import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

describe('start-up with a bad configuration file', () => {
  it('exits non-zero before touching anything, naming every bad field by its path', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'iehub-badconfig-'));
    const file = path.join(dir, 'hub.yaml');
    writeFileSync(
      file,
      [
        'hub: { aeTitle: IEP_HUB, dicomPort: 11112 }',
        'trusts:',
        '  - code: RVJ',
        '    name: North Bristol',
        '    patientIdIssuer: RVJ',
        '    nodes:',
        '      - { aeTitle: RVJ_PACS_WITH_A_LONG_NAME, host: 127.0.0.1, port: 104, allowedIps: [300.1.1.1], send: true }',
        'agreements:',
        '  - { from: RVJ, to: XYZ, folders: [emergency] }',
      ].join('\n'),
    );
    try {
      const result = spawnSync(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/receiver/src/main.ts'],
        {
          cwd: path.resolve(__dirname, '..'),
          env: { ...process.env, HUB_CONFIG: file, DATABASE_URL: 'mysql://root@127.0.0.1:1/never_used' },
          encoding: 'utf8',
          timeout: 60000,
        },
      );
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('trusts[0].nodes[0].aeTitle: longer than 16 characters');
      expect(result.stderr).toContain('trusts[0].nodes[0].allowedIps[0]');
      expect(result.stderr).toContain('agreements[0].to: unknown trust "XYZ"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
