import { ConfigError } from './config.error';
import { parseHubConfig } from './hub-config.loader';

/** A small valid file in its raw (YAML-parsed) form; tests break one thing at a time. */
function rawConfig(): any {
  return {
    hub: { aeTitle: 'IEP_HUB' },
    trusts: [
      {
        code: 'RVJ',
        name: 'North Bristol NHS Trust',
        patientIdIssuer: 'RVJ',
        inbound: { emergency: 'RVJ_EMER', elective: 'RVJ_ELEC' },
        nodes: [{ aeTitle: 'RVJ_PACS', host: '127.0.0.1', port: 4104, allowedIps: ['127.0.0.1'], send: true }],
      },
      {
        code: 'RA7',
        name: 'University Hospitals Bristol and Weston NHS Foundation Trust',
        patientIdIssuer: 'RA7',
        inbound: { emergency: 'RA7_EMER' },
        nodes: [{ aeTitle: 'RA7_PACS', host: 'pacs.example.nhs.uk', port: 4105, allowedIps: ['::1'], receive: 'push' }],
        coercion: [{ op: 'prefix', tag: 'AccessionNumber', value: '{sender.code}-' }],
      },
    ],
    agreements: [{ from: 'RVJ', to: 'RA7', folders: ['emergency'] }],
  };
}

function issuesOf(raw: unknown): string[] {
  try {
    parseHubConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) {
      return error.issues;
    }
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseHubConfig', () => {
  it('applies the defaults', () => {
    const config = parseHubConfig(rawConfig());

    expect(config.hub).toEqual({
      aeTitle: 'IEP_HUB',
      bindAddress: '0.0.0.0',
      dicomPort: 11112,
      httpPort: 8080,
      storageDir: './var/store',
      stableStudySeconds: 5,
      maxPduLength: 65536,
    });
    expect(config.folders).toEqual({
      emergency: { retentionHours: 18, forwardWhileReceiving: true },
      elective: { retentionHours: 192, forwardWhileReceiving: false },
    });
    expect(config.dicom).toEqual({
      maxAssociations: 200,
      maxAssociationsPerCallingAe: 32,
      requestTimeoutSeconds: 10,
      idleTimeoutSeconds: 60,
    });
    expect(config.trusts[0]!.nodes[0]).toEqual({
      aeTitle: 'RVJ_PACS',
      host: '127.0.0.1',
      port: 4104,
      allowedIps: ['127.0.0.1'],
      send: true,
      receive: 'none',
      maxAssociations: 2,
      queryRetrieve: false,
      tls: false,
    });
    expect(config.trusts[0]!.coercion).toEqual([]);
    expect(config.trusts[1]!.inbound).toEqual({ emergency: 'RA7_EMER' });
    expect(config.agreements[0]).toEqual({ from: 'RVJ', to: 'RA7', folders: ['emergency'], suspended: false });
    expect(config.agreements[0]).not.toHaveProperty('modalities');
    expect(config.portal).toEqual({
      maxFailedLogins: 5,
      lockoutMinutes: 15,
      sessionIdleMinutes: 30,
      sessionMaxHours: 12,
      loginFailuresPerAddress: 10,
      loginFailureWindowMinutes: 15,
      trustProxy: false,
    });
    expect(config.restrictedPatientIds).toEqual([]);
  });

  it('takes the reverse proxies the portal trusts as names, addresses, subnets or a hop count, and names a bad one', () => {
    for (const trustProxy of [true, 1, 'loopback', '10.1.2.3', ['10.1.0.0/16', 'fd00::/8']]) {
      expect(parseHubConfig({ ...rawConfig(), portal: { trustProxy } }).portal.trustProxy).toEqual(trustProxy);
    }
    expect(() => parseHubConfig({ ...rawConfig(), portal: { trustProxy: ['10.1.2.3', 'proxy.local'] } })).toThrow(
      /portal\.trustProxy\[1\]: not loopback, linklocal, uniquelocal, an IP address or a subnet: "proxy\.local"/,
    );
  });

  it('defaults a folder left empty and the agreements list, and keeps fractional retention', () => {
    const raw = rawConfig();
    raw.folders = { emergency: { retentionHours: 0.001 }, elective: {} };
    delete raw.agreements;

    const config = parseHubConfig(raw);

    expect(config.folders).toEqual({
      emergency: { retentionHours: 0.001, forwardWhileReceiving: true },
      elective: { retentionHours: 192, forwardWhileReceiving: false },
    });
    expect(config.agreements).toEqual([]);
  });

  it('trims AE titles', () => {
    const raw = rawConfig();
    raw.trusts[0].nodes[0].aeTitle = '  RVJ_PACS ';

    expect(parseHubConfig(raw).trusts[0]!.nodes[0]!.aeTitle).toBe('RVJ_PACS');
  });

  it('reports required fields and wrong types by path', () => {
    const raw = rawConfig();
    delete raw.hub.aeTitle;
    raw.trusts[0].nodes[0].port = '4104';
    raw.trusts[1].nodes[0].send = 'yes';
    raw.trusts[1].name = 1234;

    expect(issuesOf(raw)).toEqual([
      'hub.aeTitle: required',
      'trusts[0].nodes[0].port: expected a number, got a string',
      'trusts[1].name: expected a string, got a number (quote it in YAML)',
      'trusts[1].nodes[0].send: expected true or false, got a string',
    ]);
  });

  it('rejects an AE title over 16 characters at its exact path', () => {
    const raw = rawConfig();
    raw.trusts[1].nodes[0].aeTitle = 'RA7_PACS_MAIN_SITE';

    expect(issuesOf(raw)).toEqual(['trusts[1].nodes[0].aeTitle: longer than 16 characters']);
  });

  it('rejects empty and backslashed AE titles wherever they are used', () => {
    const raw = rawConfig();
    raw.hub.aeTitle = '   ';
    raw.trusts[0].inbound.elective = 'RVJ\\ELEC';

    expect(issuesOf(raw)).toEqual([
      'hub.aeTitle: empty',
      'trusts[0].inbound.elective: contains a backslash, control or non-ASCII character',
    ]);
  });

  it('names both places of a duplicate AE title, across trusts, inbound AEs and the hub', () => {
    const raw = rawConfig();
    raw.trusts[1].nodes[0].aeTitle = 'RVJ_PACS';
    raw.trusts[1].inbound.emergency = 'iep_hub';

    expect(issuesOf(raw)).toEqual([
      'trusts[1].inbound.emergency: AE title "iep_hub" differs only in case from hub.aeTitle "IEP_HUB" ' +
        '(AE titles match case-sensitively; two spellings of one title are too easily confused)',
      'trusts[1].nodes[0].aeTitle: duplicate AE title "RVJ_PACS" (also trusts[0].nodes[0].aeTitle)',
    ]);
  });

  it('refuses two nodes whose AE titles differ only in case, and takes a lower-case title of its own', () => {
    const raw = rawConfig();
    raw.trusts[0].nodes[0].aeTitle = 'rvj_pacs';
    expect(parseHubConfig(raw).trusts[0].nodes[0].aeTitle).toBe('rvj_pacs');
    raw.trusts[1].nodes[0].aeTitle = 'Rvj_Pacs';
    expect(issuesOf(raw)).toEqual([
      'trusts[1].nodes[0].aeTitle: AE title "Rvj_Pacs" differs only in case from trusts[0].nodes[0].aeTitle "rvj_pacs" ' +
        '(AE titles match case-sensitively; two spellings of one title are too easily confused)',
    ]);
  });

  it('rejects duplicate and malformed trust codes', () => {
    const raw = rawConfig();
    raw.trusts[1].code = 'RVJ';
    raw.agreements = [];
    raw.trusts.push({ ...rawConfig().trusts[1], code: 'ra7', inbound: {}, nodes: [] });

    expect(issuesOf(raw)).toEqual([
      'trusts[2].code: must be an ODS code: 1 to 16 capital letters and digits',
      'trusts[2].nodes: must have at least 1 entry',
      'trusts[1].code: duplicate trust code "RVJ" (also trusts[0].code)',
    ]);
  });

  it('checks agreements: known trusts, distinct ends, known folders', () => {
    const raw = rawConfig();
    raw.agreements = [
      { from: 'RVJ', to: 'XYZ', folders: ['emergency'] },
      { from: 'RA7', to: 'RA7', folders: [] },
      { from: 'RVJ', to: 'RA7', folders: ['elective', 'urgent', 'elective'] },
    ];

    expect(issuesOf(raw)).toEqual([
      'agreements[1].folders: must have at least 1 entry',
      'agreements[2].folders[1]: expected one of emergency, elective, got "urgent"',
      'agreements[0].to: unknown trust "XYZ"',
      'agreements[1].to: same trust as from ("RA7")',
    ]);
  });

  it('reports a duplicated folder in an agreement', () => {
    const raw = rawConfig();
    raw.agreements[0].folders = ['elective', 'elective'];

    expect(issuesOf(raw)).toEqual(['agreements[0].folders[1]: "elective" listed twice']);
  });

  it('checks agreement dates and modalities', () => {
    const raw = rawConfig();
    raw.agreements = [
      { from: 'RVJ', to: 'RA7', folders: ['emergency'], activeFrom: '2025-04-01', activeUntil: '2025-03-31' },
      { from: 'RVJ', to: 'RA7', folders: ['emergency'], activeFrom: '2025-02-30', activeUntil: '1 April 2025' },
      { from: 'RVJ', to: 'RA7', folders: ['emergency'], activeFrom: '2025-04-01T09:00:00', modalities: ['ct'] },
      { from: 'RVJ', to: 'RA7', folders: ['emergency'], modalities: [] },
    ];

    expect(issuesOf(raw)).toEqual([
      'agreements[0].activeUntil: must be after activeFrom (2025-04-01)',
      'agreements[1].activeFrom: not a valid date: "2025-02-30"',
      'agreements[1].activeUntil: not an ISO date (YYYY-MM-DD) or date-time with offset (YYYY-MM-DDThh:mm:ssZ): "1 April 2025"',
      'agreements[2].modalities[0]: not a DICOM modality code (e.g. CT, MR, DX)',
      'agreements[2].activeFrom: not an ISO date (YYYY-MM-DD) or date-time with offset (YYYY-MM-DDThh:mm:ssZ): "2025-04-01T09:00:00"',
      'agreements[3].modalities: list at least one modality, or leave modalities out to allow all',
    ]);
  });

  it('accepts date-times with an offset and keeps them as written', () => {
    const raw = rawConfig();
    Object.assign(raw.agreements[0], { activeFrom: '2025-04-01T09:00:00+01:00', activeUntil: '2025-04-01T08:30Z' });

    expect(parseHubConfig(raw).agreements[0]).toMatchObject({
      activeFrom: '2025-04-01T09:00:00+01:00',
      activeUntil: '2025-04-01T08:30Z',
    });
  });

  it('rejects bad IP addresses, hosts and ports', () => {
    const raw = rawConfig();
    raw.trusts[0].nodes[0].allowedIps = ['127.0.0.1', '10.0.0.300', '10.0.0.0/8'];
    raw.trusts[0].nodes[0].host = 'pacs host';
    raw.trusts[1].nodes[0].port = 70000;
    raw.trusts[1].nodes[0].allowedIps = [];
    raw.hub.dicomPort = 0;
    raw.hub.bindAddress = 'localhost';

    expect(issuesOf(raw)).toEqual([
      'hub.bindAddress: not an IPv4 or IPv6 address: "localhost"',
      'hub.dicomPort: must be at least 1',
      'trusts[0].nodes[0].host: not a host name or IP address: "pacs host"',
      'trusts[0].nodes[0].allowedIps[1]: not an IPv4 or IPv6 address: "10.0.0.300"',
      'trusts[0].nodes[0].allowedIps[2]: not an IPv4 or IPv6 address: "10.0.0.0/8"',
      'trusts[1].nodes[0].port: must be at most 65535',
      'trusts[1].nodes[0].allowedIps: list at least one IP address the node connects from',
    ]);
  });

  it('checks hub numbers: PDU range, positive durations, distinct ports', () => {
    const raw = rawConfig();
    Object.assign(raw.hub, { maxPduLength: 2048, stableStudySeconds: 0, httpPort: 11112 });
    raw.folders = { emergency: { retentionHours: -1 }, elective: { retentionHours: 0 } };
    raw.trusts[0].nodes[0].maxAssociations = 65;
    raw.trusts[1].nodes[0].maxAssociations = 1.5;

    expect(issuesOf(raw)).toEqual([
      'hub.stableStudySeconds: must be greater than 0',
      'hub.maxPduLength: must be at least 4096',
      'hub.httpPort: same as dicomPort (11112)',
      'folders.emergency.retentionHours: must be greater than 0',
      'folders.elective.retentionHours: must be greater than 0',
      'trusts[0].nodes[0].maxAssociations: must be at most 64',
      'trusts[1].nodes[0].maxAssociations: expected a whole number, got a fractional number',
    ]);
  });

  it('defaults the storage floor and monitoring ports, allows 0 for none, and checks them', () => {
    const config = parseHubConfig(rawConfig());
    expect(config.storage).toEqual({ minFreeMegabytes: 1024 });
    expect(config.monitoring).toEqual({ receiverPort: 9101, routerPort: 9102, forwarderPort: 9103 });

    const off = rawConfig();
    off.storage = { minFreeMegabytes: 0 };
    off.monitoring = { receiverPort: 0, metricsToken: 'a-token-of-sixteen-chars' };
    expect(parseHubConfig(off).storage.minFreeMegabytes).toBe(0);
    expect(parseHubConfig(off).monitoring).toEqual({
      receiverPort: 0,
      routerPort: 9102,
      forwarderPort: 9103,
      metricsToken: 'a-token-of-sixteen-chars',
    });

    const bad = rawConfig();
    bad.storage = { minFreeMegabytes: -1, minFree: 3 };
    bad.monitoring = { routerPort: 70000, metricsToken: 'short' };
    expect(issuesOf(bad)).toEqual([
      'storage.minFreeMegabytes: must be at least 0',
      'storage.minFree: unknown key (expected one of minFreeMegabytes)',
      'monitoring.routerPort: must be at most 65535',
      'monitoring.metricsToken: shorter than 16 characters',
    ]);
  });

  it('checks coercion rules', () => {
    const raw = rawConfig();
    raw.trusts[0].coercion = [
      { op: 'set', tag: 'IssuerOfPatientID', value: '{sender.patientIdIssuer}' },
      { op: 'prefix', tag: '(0008,0050)' },
      { op: 'copy', tag: '00101000' },
      { op: 'remove', tag: 'Patient ID', value: 'x' },
      { op: 'delete', tag: 'PatientID' },
      { op: 'copy', tag: 'OtherPatientIDs', from: '(0010,002)' },
      { op: 'set', tag: '(0010,0020)', value: '', from: 'PatientID' },
      { op: 'set', tag: 'PatientId', value: 'x', check: 'nhs-number' },
    ];

    expect(issuesOf(raw)).toEqual([
      'trusts[0].coercion[1].value: required for op prefix',
      'trusts[0].coercion[2].from: required for op copy (the tag to copy from)',
      'trusts[0].coercion[3].tag: not a DICOM keyword or tag (write e.g. PatientID, (0010,0020) or 00100020)',
      'trusts[0].coercion[3].value: not used by op remove',
      'trusts[0].coercion[4].op: expected one of set, prefix, copy, remove, got "delete"',
      'trusts[0].coercion[5].from: not a DICOM keyword or tag (write e.g. PatientID, (0010,0020) or 00100020)',
      'trusts[0].coercion[6].from: not used by op set',
      'trusts[0].coercion[7].tag: unknown DICOM keyword or tag "PatientId"',
    ]);
  });

  it('accepts every op in its valid form', () => {
    const raw = rawConfig();
    const rules = [
      { op: 'set', tag: 'IssuerOfPatientID', value: '{sender.patientIdIssuer}' },
      { op: 'prefix', tag: '(0008,0050)', value: 'RVJ-' },
      { op: 'copy', tag: '00101000', from: 'PatientID' },
      { op: 'remove', tag: 'PatientComments' },
    ];
    raw.trusts[0].coercion = rules;

    expect(parseHubConfig(raw).trusts[0]!.coercion).toEqual(rules);
  });

  it('rejects unknown keys at their own path, suggesting the likely key', () => {
    const raw = rawConfig();
    raw.trusts[0].nodes[0].allowedIPs = ['10.0.0.1'];
    raw.hub.colour = 'blue';
    raw.folders = { emergancy: { retentionHours: 1 } };
    raw.extra = true;

    expect(issuesOf(raw)).toEqual([
      'hub.colour: unknown key (expected one of aeTitle, bindAddress, dicomPort, httpPort, storageDir, stableStudySeconds, maxPduLength, tls)',
      'folders.emergancy: unknown key (did you mean emergency?)',
      'trusts[0].nodes[0].allowedIPs: unknown key (did you mean allowedIps?)',
      'extra: unknown key (expected one of hub, folders, dicom, portal, storage, monitoring, dicomweb, viewerLinks, findIt, trusts, agreements, restrictedPatientIds)',
    ]);
  });

  it('reports every problem at once, structural and cross-field together', () => {
    const raw = rawConfig();
    delete raw.trusts[0].nodes[0].host;
    raw.trusts[1].nodes[0].aeTitle = 'RVJ_PACS';
    raw.trusts[1].nodes[0].allowedIps = ['not-an-ip'];
    raw.agreements[0].to = 'XYZ';

    const error = (() => {
      try {
        parseHubConfig(raw, 'test.yaml');
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues).toEqual([
      'trusts[0].nodes[0].host: required',
      'trusts[1].nodes[0].allowedIps[0]: not an IPv4 or IPv6 address: "not-an-ip"',
      'trusts[1].nodes[0].aeTitle: duplicate AE title "RVJ_PACS" (also trusts[0].nodes[0].aeTitle)',
      'agreements[0].to: unknown trust "XYZ"',
    ]);
    expect(error.message.split('\n')).toEqual([
      'Invalid hub configuration (test.yaml):',
      ...error.issues.map((issue) => `  ${issue}`),
    ]);
  });

  it('rejects a document that is not a mapping', () => {
    expect(issuesOf(null)).toEqual(['(top level): expected a mapping, got an empty value']);
    expect(issuesOf([])).toEqual(['(top level): expected a mapping, got a list']);
  });
});
