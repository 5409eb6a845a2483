// The factory's files are what every other end-to-end test and the ingest benchmark send, so they are checked here
// against DCMTK itself: dcmdump must read them, storescp must store them byte for byte, and each hostile kind must
// reach the wire (or not) exactly as dicom-factory.ts documents.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBigInstances, makeHostile, makeStudy, SopClassUid, Tag, TransferSyntaxUid } from './support/dicom-factory';
import { elementText, findElement, readPart10 } from './support/dicom-factory.spec-helper';
import {
  echoscu,
  runDcmtk,
  startStorescp,
  StorescpHandle,
  storescu,
  storescuProposalArgs,
  waitForEcho,
} from './support/dcmtk';

const TIMEOUT = 120_000;

describe('dicom-factory', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'iehub-factory-e2e-'));
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const dir = (name: string): string => {
    const d = join(root, name);
    mkdirSync(d, { recursive: true });
    return d;
  };

  async function dump(path: string): Promise<{ code: number | null; out: string; err: string }> {
    // -Un prints UIDs as numbers, so the check does not depend on DCMTK's UID name table.
    const r = await runDcmtk('dcmdump', ['-Un', '-M', path]);
    return { code: r.code, out: r.stdout, err: r.stderr };
  }

  describe('dcmdump reads every kind', () => {
    const cases: [string, Parameters<typeof makeStudy>[1]['series'][number], string][] = [
      ['ct explicit', { kind: 'ct', count: 1 }, SopClassUid.ct],
      ['ct implicit', { kind: 'ct', count: 1, transferSyntax: 'implicit' }, SopClassUid.ct],
      ['ct jpeg-lossless', { kind: 'ct', count: 1, transferSyntax: 'jpeg-lossless' }, SopClassUid.ct],
      ['mr-small explicit', { kind: 'mr-small', count: 1 }, SopClassUid.mr],
      ['mr-small rle', { kind: 'mr-small', count: 1, transferSyntax: 'rle' }, SopClassUid.mr],
      ['mr-small jpeg-ls', { kind: 'mr-small', count: 1, transferSyntax: 'jpeg-ls' }, SopClassUid.mr],
      ['sr', { kind: 'sr', count: 1 }, SopClassUid.basicTextSr],
      ['pdf', { kind: 'pdf', count: 1 }, SopClassUid.encapsulatedPdf],
    ];

    it.each(cases)(
      '%s',
      async (_name, series, sopClassUid) => {
        const study = await makeStudy(dir('dump'), { patientId: 'P1', patientName: 'DOE^JANE', series: [series] });
        const [path] = study.files;
        const { code, out, err } = await dump(path);
        expect(err).toBe('');
        expect(code).toBe(0);
        const ts = TransferSyntaxUid[series.transferSyntax ?? 'explicit'];
        expect(out).toContain(`(0002,0010) UI [${ts}]`);
        expect(out).toContain(`(0008,0016) UI [${sopClassUid}]`);
        expect(out).toContain(`(0002,0002) UI [${sopClassUid}]`);
        expect(out).toContain(`(0020,000d) UI [${study.studyInstanceUid}]`);
        expect(out).toContain('(0008,0005) CS [ISO_IR 100]');
        expect(out).toContain('(0010,0010) PN [DOE^JANE]');
        const file = readPart10(path);
        expect(file.sopInstanceUid).toBe(study.series[0].instances[0].sopInstanceUid);
        expect(file.sopInstanceUid).toMatch(/^2\.25\.(0|[1-9][0-9]*)$/);
        expect(file.sopInstanceUid.length).toBeLessThanOrEqual(64);
      },
      TIMEOUT,
    );

    it(
      'keeps pixels lossless through every DCMTK codec',
      async () => {
        const d = dir('codecs');
        const study = await makeStudy(d, {
          patientId: 'P1',
          patientName: 'DOE^JANE',
          series: [
            { kind: 'mr-small', count: 1 },
            { kind: 'mr-small', count: 1, transferSyntax: 'jpeg-lossless' },
            { kind: 'mr-small', count: 1, transferSyntax: 'rle' },
            { kind: 'mr-small', count: 1, transferSyntax: 'jpeg-ls' },
          ],
        });
        const [plain, ...compressed] = study.files;
        const pixels = findElement(readPart10(plain), Tag.PixelData)!.value;
        const decoders = ['dcmdjpeg', 'dcmdrle', 'dcmdjpls'];
        for (const [i, path] of compressed.entries()) {
          const out = `${path}.decoded`;
          const r = await runDcmtk(decoders[i], [path, out]);
          expect(r.code).toBe(0);
          expect(findElement(readPart10(out), Tag.PixelData)!.value.equals(pixels)).toBe(true);
        }
      },
      TIMEOUT,
    );

    it('sizes CT and mr-small like the benchmark sets', async () => {
      const study = await makeStudy(dir('sizes'), {
        patientId: 'P1',
        patientName: 'DOE^JANE',
        series: [
          { kind: 'ct', count: 1 },
          { kind: 'mr-small', count: 1 },
        ],
      });
      const [ct, mr] = study.files.map((f) => readPart10(f));
      expect(findElement(ct, Tag.PixelData)!.length).toBe(512 * 512 * 2);
      expect(findElement(ct, Tag.BitsStored)!.value.readUInt16LE(0)).toBe(12);
      expect(findElement(mr, Tag.PixelData)!.length).toBe(64 * 64 * 2);
    });

    it('encapsulates a PDF whose cross-reference offsets are right', async () => {
      const study = await makeStudy(dir('pdf'), {
        patientId: 'P1',
        patientName: 'DOE^JANE',
        series: [{ kind: 'pdf', count: 1 }],
      });
      const file = readPart10(study.files[0]);
      expect(elementText(file, Tag.MIMETypeOfEncapsulatedDocument)).toBe('application/pdf');
      const length = findElement(file, Tag.EncapsulatedDocumentLength)!.value.readUInt32LE(0);
      const pdf = findElement(file, Tag.EncapsulatedDocument)!.value.subarray(0, length).toString('latin1');
      expect(pdf.startsWith('%PDF-1.4\n')).toBe(true);
      expect(pdf.endsWith('%%EOF\n')).toBe(true);
      const startxref = Number(/startxref\n(\d+)\n/.exec(pdf)![1]);
      expect(pdf.slice(startxref, startxref + 4)).toBe('xref');
      const offsets = [...pdf.matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
      expect(offsets).toHaveLength(5);
      offsets.forEach((o, i) => expect(pdf.slice(o, o + `${i + 1} 0 obj`.length)).toBe(`${i + 1} 0 obj`));
    });

    it('writes big multi-frame instances of the requested size', async () => {
      const big = makeBigInstances(dir('big-small'), 2, 3);
      expect(big.files).toHaveLength(2);
      for (const instance of big.instances) {
        const { code, err, out } = await dump(instance.path);
        expect(err).toBe('');
        expect(code).toBe(0);
        expect(out).toContain(`(0008,0016) UI [${SopClassUid.multiFrameGrayscaleWordSc}]`);
        expect(out).toContain('(0028,0008) IS [6]');
        expect(instance.bytes).toBeGreaterThan(3 * 1024 * 1024);
        expect(instance.bytes).toBeLessThan(3 * 1024 * 1024 + 4096);
      }
    });

    it('writes hostile files DCMTK can read, except the truncated one', async () => {
      const d = dir('hostile-dump');
      for (const kind of ['bad-uid', 'no-study-uid', 'short-pixel-data'] as const) {
        const { code, err } = await dump(makeHostile(d, kind).path);
        expect({ kind, code, err }).toEqual({ kind, code: 0, err: '' });
      }
      const truncated = await dump(makeHostile(d, 'truncated').path);
      expect(truncated.err).toContain('PixelData (7fe0,0010) larger (8192) than remaining bytes in file');
    });
  });

  describe('on the wire to storescp', () => {
    let scp: StorescpHandle;
    let received: string;

    beforeEach(async () => {
      received = dir(`received-${Date.now()}-${Math.random().toString(36).slice(2)}`);
      scp = await startStorescp({ outputDir: received, logLevel: 'debug', extraArgs: ['+xa'] });
    });

    afterEach(async () => {
      await scp.stop();
    });

    it(
      'stores a 104-instance multi-series study with unchanged data set bytes',
      async () => {
        const study = await makeStudy(dir('study104'), {
          patientId: 'P104',
          patientName: 'MULTI^SERIES',
          accessionNumber: 'ACC104',
          series: [
            { kind: 'ct', count: 40 },
            { kind: 'mr-small', count: 52 },
            { kind: 'ct', count: 10, transferSyntax: 'jpeg-lossless' },
            { kind: 'sr', count: 1 },
            { kind: 'pdf', count: 1 },
          ],
        });
        expect(study.files).toHaveLength(104);
        const proposal = storescuProposalArgs(study.series.map((s) => s.transferSyntaxUid));
        expect(proposal).toEqual(['-xs']);
        // The relay benchmark times storescp by this line, counted as the output arrives (104 lines in many chunks).
        const counts: number[] = [];
        const stopCounting = scp.onLogged('storing DICOM file', (count) => counts.push(count));
        const result = await storescu('127.0.0.1', scp.port, 'FACTORY_SCU', 'STORESCP', study.files, proposal);
        await scp.waitForLog(/Association Release/);
        stopCounting();
        expect(counts).toEqual(Array.from({ length: 104 }, (_, i) => i + 1));
        expect(counts.length).toBe(scp.log().split('storing DICOM file').length - 1);
        expect(result.code).toBe(0);
        expect(result.association).toBe('accepted');
        expect(result.stores).toHaveLength(104);
        expect(result.stores.filter((s) => s.status !== 0)).toEqual([]);
        expect(result.stores.map((s) => s.sopInstanceUid)).toEqual(
          study.series.flatMap((s) => s.instances.map((i) => i.sopInstanceUid)),
        );

        const byUid = new Map(readdirSync(received).map((f) => [readPart10(join(received, f)).sopInstanceUid, f]));
        expect(byUid.size).toBe(104);
        for (const series of study.series) {
          for (const instance of series.instances) {
            const original = readPart10(instance.path);
            const stored = readPart10(join(received, byUid.get(instance.sopInstanceUid)!));
            expect(stored.transferSyntaxUid).toBe(series.transferSyntaxUid);
            expect(stored.sopClassUid).toBe(instance.sopClassUid);
            expect(stored.dataset.equals(original.dataset)).toBe(true);
          }
        }
      },
      TIMEOUT,
    );

    it(
      'bad-uid: goes out unchanged in the command and the data set; storescp sanitizes the file name',
      async () => {
        const hostile = makeHostile(dir('hostile-bad-uid'), 'bad-uid');
        const result = await storescu(
          '127.0.0.1',
          scp.port,
          'FACTORY_SCU',
          'STORESCP',
          hostile.path,
          hostile.storescuArgs,
        );
        expect(result.code).toBe(0);
        expect(result.stores).toEqual([
          expect.objectContaining({ sopInstanceUid: '1.2.3/../../x', status: 0, statusText: 'Success' }),
        ]);
        await scp.waitForLog(/Association Release/);
        expect(scp.log()).toMatch(/Affected SOP Instance UID\s+: 1\.2\.3\/\.\.\/\.\.\/x\n/);
        expect(scp.events()).toContain(
          'W: Sanitized unusual characters in SOP Instance UID, converted from "1.2.3/../../x" to "1.2.3_.._.._x".',
        );
        expect(readdirSync(received)).toEqual(['MR.1.2.3_.._.._x']);
        const stored = readPart10(join(received, 'MR.1.2.3_.._.._x'));
        expect(stored.dataset.equals(readPart10(hostile.path).dataset)).toBe(true);
        expect(existsSync(join(received, '..', '..', 'x'))).toBe(false);
      },
      TIMEOUT,
    );

    it(
      'bad-uid "../x": same, named MR..._x',
      async () => {
        const hostile = makeHostile(dir('hostile-bad-uid-2'), 'bad-uid', { badUid: '../x' });
        const result = await storescu(
          '127.0.0.1',
          scp.port,
          'FACTORY_SCU',
          'STORESCP',
          hostile.path,
          hostile.storescuArgs,
        );
        expect(result.stores).toEqual([expect.objectContaining({ sopInstanceUid: '../x', status: 0 })]);
        expect(readdirSync(received)).toEqual(['MR..._x']);
      },
      TIMEOUT,
    );

    it(
      'no-study-uid: stored as sent, without (0020,000D)',
      async () => {
        const hostile = makeHostile(dir('hostile-no-study'), 'no-study-uid');
        const result = await storescu(
          '127.0.0.1',
          scp.port,
          'FACTORY_SCU',
          'STORESCP',
          hostile.path,
          hostile.storescuArgs,
        );
        expect(result.stores).toEqual([expect.objectContaining({ sopInstanceUid: hostile.sopInstanceUid, status: 0 })]);
        const [name] = readdirSync(received);
        const stored = readPart10(join(received, name));
        expect(findElement(stored, Tag.StudyInstanceUID)).toBeUndefined();
        expect(stored.dataset.equals(readPart10(hostile.path).dataset)).toBe(true);
      },
      TIMEOUT,
    );

    it(
      'truncated: storescu cannot read it; with -nh the association is released with no C-STORE at all',
      async () => {
        const hostile = makeHostile(dir('hostile-truncated'), 'truncated');
        expect(hostile.storescuArgs).toEqual(['-nh']);
        const result = await storescu(
          '127.0.0.1',
          scp.port,
          'FACTORY_SCU',
          'STORESCP',
          hostile.path,
          hostile.storescuArgs,
        );
        expect(result.code).toBe(0);
        expect(result.association).toBe('accepted');
        expect(result.stores).toEqual([{ file: hostile.path, error: 'I/O suspension or premature end of stream' }]);
        await scp.waitForLog(/Association Release/);
        expect(scp.events()).not.toContain('I: Received Store Request');
        expect(readdirSync(received)).toEqual([]);
      },
      TIMEOUT,
    );

    it(
      'truncated without -nh: storescu aborts the association after negotiating it',
      async () => {
        const hostile = makeHostile(dir('hostile-truncated-2'), 'truncated');
        const result = await storescu('127.0.0.1', scp.port, 'FACTORY_SCU', 'STORESCP', hostile.path);
        expect(result.code).toBe(1);
        await scp.waitForLog(/Association Aborted/);
        expect(scp.events()).not.toContain('I: Received Store Request');
      },
      TIMEOUT,
    );

    it(
      'short-pixel-data (the sendable stand-in for truncated): 1000 of 8192 pixel bytes arrive, declared as 1000',
      async () => {
        const hostile = makeHostile(dir('hostile-short'), 'short-pixel-data');
        const result = await storescu(
          '127.0.0.1',
          scp.port,
          'FACTORY_SCU',
          'STORESCP',
          hostile.path,
          hostile.storescuArgs,
        );
        expect(result.stores).toEqual([expect.objectContaining({ status: 0 })]);
        const [name] = readdirSync(received);
        const stored = readPart10(join(received, name));
        expect(findElement(stored, Tag.PixelData)!.length).toBe(1000);
        expect(findElement(stored, Tag.Rows)!.value.readUInt16LE(0)).toBe(64);
      },
      TIMEOUT,
    );

    it(
      'killMidTransfer (the other stand-in): the peer sees part of a 64 MiB data set, then the connection drops',
      async () => {
        const big = makeBigInstances(dir('big-kill'), 1, 64);
        // storescp drains 64 MiB in well under a second; on a loaded machine the kill can come too late, so retry.
        let result: Awaited<ReturnType<typeof storescu>> | undefined;
        for (let attempt = 1; attempt <= 3; attempt++) {
          result = await storescu('127.0.0.1', scp.port, 'FACTORY_SCU', 'STORESCP', big.files, [], {
            killMidTransfer: { afterPdvs: 64 },
          });
          if (result.killed && result.stores[0]?.status === undefined) {
            break;
          }
          await scp.stop();
          received = dir(`received-retry-${attempt}`);
          scp = await startStorescp({ outputDir: received, logLevel: 'debug', extraArgs: ['+xa'] });
        }
        expect(result!.killed).toBe(true);
        expect(result!.signal).toBe('SIGKILL');
        expect(result!.stores).toEqual([{ file: big.files[0], sopInstanceUid: big.instances[0].sopInstanceUid }]);
        // storescp words a dropped connection two ways, depending on where in its read the close lands.
        await scp.waitForLog(/Association Aborted|DUL network closed/);
        expect(scp.events()).toContain('I: Received Store Request');
        expect(scp.events().filter((l) => l.includes('storing DICOM file'))).toEqual([]);
        expect(readdirSync(received)).toEqual([]);
      },
      TIMEOUT,
    );

    it(
      'reports a failure status per file (storescp answers 0xA700 when it cannot write)',
      async () => {
        const study = await makeStudy(dir('refused'), {
          patientId: 'P1',
          patientName: 'DOE^JANE',
          series: [{ kind: 'mr-small', count: 2 }],
        });
        rmSync(received, { recursive: true });
        const result = await storescu('127.0.0.1', scp.port, 'FACTORY_SCU', 'STORESCP', study.files, ['-nh']);
        expect(result.stores).toEqual(
          study.files.map((file) =>
            expect.objectContaining({ file, status: 0xa700, statusText: 'Refused: Out of resources' }),
          ),
        );
      },
      TIMEOUT,
    );
  });

  it(
    'answers C-ECHO through echoscu and waitForEcho',
    async () => {
      const scp = await startStorescp({ outputDir: dir('echo') });
      try {
        const echo = await echoscu('127.0.0.1', scp.port, 'FACTORY_SCU', 'STORESCP');
        expect(echo).toEqual(expect.objectContaining({ ok: true, association: 'accepted', code: 0 }));
        expect((await waitForEcho('127.0.0.1', scp.port, 'FACTORY_SCU', 'STORESCP', 5000)).ok).toBe(true);
      } finally {
        await scp.stop();
      }
      const refused = await echoscu('127.0.0.1', scp.port, 'FACTORY_SCU', 'STORESCP');
      expect(refused.association).toBe('connection-failed');
    },
    TIMEOUT,
  );

  it(
    'reports association rejection reasons',
    async () => {
      const received = dir('refuse');
      const scp = await startStorescp({ outputDir: received, extraArgs: ['--refuse'] });
      try {
        const study = await makeStudy(dir('refuse-src'), {
          patientId: 'P1',
          patientName: 'DOE^JANE',
          series: [{ kind: 'mr-small', count: 1 }],
        });
        const result = await storescu('127.0.0.1', scp.port, 'FACTORY_SCU', 'STORESCP', study.files);
        expect(result.code).toBe(1);
        expect(result.association).toBe('rejected');
        expect(result.rejection).toEqual({
          result: 'Rejected Permanent',
          source: 'Service User',
          reason: 'No Reason',
          permanent: true,
        });
        const echo = await echoscu('127.0.0.1', scp.port, 'FACTORY_SCU', 'STORESCP');
        expect(echo.ok).toBe(false);
        expect(echo.association).toBe('rejected');
        expect(echo.rejection?.reason).toBe('No Reason');
      } finally {
        await scp.stop();
      }
    },
    TIMEOUT,
  );
});
