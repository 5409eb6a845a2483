import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { StorescpHandle, parseDcmdump, startStorescp, storescu } from './support/dcmtk';
import { buildInstance, newUid, writePart10 } from './support/dicom-factory';
import { hubCli } from './support/hub-cli';
import { TestHub, startTestHub } from './support/test-hub';
import { waitFor } from './support/wait-for';

const HOST = '127.0.0.1';
/** 16 characters: the most an SH holds, so RA7's prefix would make it 20. */
const ACCESSION = 'ACC4567890123456';

/**
 * RVJ_PACS sends a study whose AccessionNumber is already 16 characters; RA7's coercion prefixes it with
 * the sender's code. RA7_PACS (a storescp) must receive a valid SH, and the transfer says it was cut.
 */
describe('coerced values within their VR length (storescu, storescp)', () => {
  let work: string;
  let hub: TestHub;
  let scp: StorescpHandle;
  let configFile: string;
  const sopInstanceUid = newUid();
  const patientId = `VL${Date.now() % 1_000_000}`;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-value-limits-'));
    scp = await startStorescp({ aeTitle: 'RA7_PACS', outputDir: mkdtempSync(path.join(work, 'pacs-')) });
    hub = await startTestHub({
      apps: ['receiver', 'router', 'forwarder'],
      stableStudySeconds: 1,
      configure: (raw) => {
        const ra7 = raw.trusts.find((trust) => trust.code === 'RA7')!;
        ra7.nodes[0].port = scp.port;
        ra7.coercion = [{ op: 'prefix', tag: 'AccessionNumber', value: '{sender.code}-' }];
      },
    });
    configFile = path.join(work, 'hub.yaml');
    writeFileSync(configFile, stringify(hub.rawConfig));
    const file = path.join(work, 'long-accession.dcm');
    writePart10(
      file,
      buildInstance(
        'mr-small',
        {
          patientId,
          patientName: 'LIMIT^VALUE',
          studyInstanceUid: newUid(),
          accessionNumber: ACCESSION,
          seriesInstanceUid: newUid(),
          seriesNumber: 1,
          frameOfReferenceUid: newUid(),
          instanceNumber: 1,
          now: new Date(),
        },
        sopInstanceUid,
      ),
    );
    const stored = await storescu(HOST, hub.port, 'RVJ_PACS', 'RA7_EMER', [file]);
    expect(stored.stores.map((store) => store.status)).toEqual([0]);
    await waitFor('the study delivered', async () => {
      const [row] = (await hub.dataSource.query(
        `SELECT t.state FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.patient_id = ?`,
        [patientId],
      )) as Array<{ state: string }>;
      return row?.state === 'delivered' ? row : undefined;
    });
  });

  afterAll(async () => {
    await hub?.destroy();
    await scp?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('delivers a 16-character AccessionNumber, cut after the prefix, and flags the transfer by element', async () => {
    const file = readdirSync(scp.outputDir)
      .map((name) => path.join(scp.outputDir, name))
      .find((name) => readFileSync(name).includes(Buffer.from(sopInstanceUid, 'latin1')))!;
    const dump = execFileSync('dcmdump', [file]).toString('latin1');
    expect(parseDcmdump(dump).AccessionNumber).toBe(`RVJ-${ACCESSION.slice(0, 12)}`);
    expect(dump).toMatch(/\(0008,0050\) SH \[RVJ-ACC456789012\] +# +16, 1 AccessionNumber/);

    const [transfer] = (await hub.dataSource.query(
      `SELECT t.flag FROM transfers t JOIN studies s ON s.id = t.study_id WHERE s.patient_id = ?`,
      [patientId],
    )) as Array<{ flag: string | null }>;
    expect(transfer.flag).toBe('(0008,0050): cut to 16 characters, the most SH holds');
  });

  it('config apply warns about the rule and applies the file all the same', () => {
    const applied = hubCli(hub, configFile, ['config', 'apply', configFile, '--json']);
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toEqual([]);
    expect(applied.stderr).toContain(`Hub configuration warnings (${configFile}):`);
    expect(applied.stderr).toMatch(
      /trusts\[\d\]\.coercion\[0\]: AccessionNumber is SH, at most 16 characters; prefix adds up to 4/,
    );
  });
});
