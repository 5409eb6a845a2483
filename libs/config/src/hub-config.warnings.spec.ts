import { resolve } from 'node:path';
import { loadHubConfig } from './hub-config.loader';
import { HubConfig } from './hub-config.types';
import { formatHubConfigWarnings, hubConfigWarnings } from './hub-config.warnings';

const EXAMPLE = resolve(__dirname, '../../../config/hub.example.yaml');

/** The example file with each trust's coercion replaced. */
function withCoercion(rules: HubConfig['trusts'][number]['coercion'][]): HubConfig {
  const hub = loadHubConfig(EXAMPLE);
  return { ...hub, trusts: hub.trusts.map((trust, index) => ({ ...trust, coercion: rules[index] ?? [] })) };
}

describe('hubConfigWarnings', () => {
  it('names each rule that can write more than its VR holds, templates at their longest', () => {
    const hub = withCoercion([
      [
        { op: 'prefix', tag: 'AccessionNumber', value: '{recipient.code}/' },
        { op: 'set', tag: 'StationName', value: '{sender.code}-WORKSTATION-1' },
      ],
      [{ op: 'copy', tag: 'AccessionNumber', from: 'StudyDescription' }],
    ]);

    expect(hubConfigWarnings(hub)).toEqual([
      'trusts[0].coercion[0]: AccessionNumber is SH, at most 16 characters; prefix adds up to 4: a value near the limit is cut when sent',
      `trusts[0].coercion[1]: StationName is SH, at most 16 characters; set writes "RVJ-WORKSTATION-1" (17): cut when sent`,
      'trusts[1].coercion[0]: AccessionNumber is SH, at most 16 characters; copy from StudyDescription (LO, at most 64): a longer value is cut when sent',
    ]);
  });

  it('is empty when every value fits, and prints nothing then', () => {
    const hub = withCoercion([
      [
        { op: 'set', tag: 'IssuerOfPatientID', value: '{sender.patientIdIssuer}' },
        { op: 'copy', tag: 'OtherPatientIDs', from: 'PatientID' },
        { op: 'remove', tag: 'AccessionNumber' },
      ],
    ]);

    expect(hubConfigWarnings(hub)).toEqual([]);
    expect(formatHubConfigWarnings([], 'hub.yaml')).toBe('');
    expect(formatHubConfigWarnings(['a: b'], 'hub.yaml')).toBe('Hub configuration warnings (hub.yaml):\n  a: b\n');
  });
});
