import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from './config.error';
import { loadHubConfig } from './hub-config.loader';

const EXAMPLE = resolve(__dirname, '../../../config/hub.example.yaml');

function errorOf(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadHubConfig', () => {
  let dir: string;
  const write = (text: string): string => {
    const path = join(dir, 'hub.yaml');
    writeFileSync(path, text);
    return path;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-config-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the example file', () => {
    const config = loadHubConfig(EXAMPLE);

    expect(config.hub.aeTitle).toBe('IEP_HUB');
    expect(config.trusts.map((trust) => trust.code)).toEqual(['RVJ', 'RA7']);
    expect(config.trusts.map((trust) => trust.inbound)).toEqual([
      { emergency: 'RVJ_EMER', elective: 'RVJ_ELEC' },
      { emergency: 'RA7_EMER', elective: 'RA7_ELEC' },
    ]);
    expect(config.trusts[0]!.nodes[0]).toMatchObject({ aeTitle: 'RVJ_PACS', port: 4104, send: true, receive: 'push' });
    expect(config.trusts[1]!.nodes[0]).toMatchObject({ aeTitle: 'RA7_PACS', port: 4105, send: true, receive: 'push' });
    expect(config.trusts[0]!.coercion).toContainEqual({
      op: 'set',
      tag: 'IssuerOfPatientID',
      value: '{sender.patientIdIssuer}',
    });
    expect(config.agreements.map(({ from, to, folders }) => ({ from, to, folders }))).toEqual([
      { from: 'RVJ', to: 'RA7', folders: ['emergency', 'elective'] },
      { from: 'RA7', to: 'RVJ', folders: ['emergency', 'elective'] },
    ]);
  });

  it('reports a YAML syntax error with the file name and line', () => {
    const path = write('hub:\n  aeTitle: IEP_HUB\ntrusts: [\n  { code: RVJ\n');

    const error = errorOf(() => loadHubConfig(path));

    expect(error.message.split('\n')[0]).toBe(`Invalid YAML in ${path}:`);
    expect(error.issues.length).toBeGreaterThan(0);
    expect(error.issues[0]).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:[45]:\\d+: `));
  });

  it('treats a duplicated key as an error rather than keeping the last value', () => {
    const path = write('hub:\n  aeTitle: IEP_HUB\n  aeTitle: OTHER\ntrusts: []\n');

    expect(errorOf(() => loadHubConfig(path)).issues).toEqual([expect.stringMatching(/^.*hub\.yaml:3:3: .*unique/)]);
  });

  it('names the file in validation errors', () => {
    const path = write('hub:\n  aeTitle: THIS_AE_TITLE_IS_TOO_LONG\ntrusts: []\n');

    const error = errorOf(() => loadHubConfig(path));

    expect(error.issues).toEqual(['hub.aeTitle: longer than 16 characters']);
    expect(error.message).toBe(`Invalid hub configuration (${path}):\n  hub.aeTitle: longer than 16 characters`);
  });

  it('keeps YAML 1.2 semantics: yes is a string, not true', () => {
    const path = write(
      'hub: { aeTitle: IEP_HUB }\ntrusts:\n  - code: RVJ\n    name: N\n    patientIdIssuer: RVJ\n' +
        '    nodes: [{ aeTitle: A, host: h, port: 1, allowedIps: [127.0.0.1], send: yes }]\n',
    );

    expect(errorOf(() => loadHubConfig(path)).issues).toEqual([
      'trusts[0].nodes[0].send: expected true or false, got a string',
    ]);
  });

  it('reports a missing file', () => {
    const path = join(dir, 'missing.yaml');

    expect(errorOf(() => loadHubConfig(path)).issues).toEqual([`${path}: cannot read the file (ENOENT)`]);
  });

  it('reports an empty file', () => {
    const path = write('');

    expect(errorOf(() => loadHubConfig(path)).issues).toEqual(['(top level): expected a mapping, got an empty value']);
  });
});
