import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildPart10Header, leadingElementsLength, splitPart10 } from '@hub/dicom';
import {
  applyCoercion,
  coerceAttributes,
  coercionLengthWarning,
  coercionScope,
  fitToVr,
  isValidNhsNumber,
  resolveTag,
} from './coercion';

const CONTEXT = { sender: { code: 'RVJ', patientIdIssuer: 'RVJ-PAS' }, recipient: { code: 'RA7' } };
const SOP_CLASS = '1.2.840.10008.5.1.4.1.1.7';
const SOP_INSTANCE = '1.2.3.4.5.6';

let dir: string;
beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'iehub-coercion-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A data set made by DCMTK: with a sequence of undefined length before the patient module. */
function dataset(transferOption: '+te' | '+ti', extra = ''): { bytes: Buffer; ts: string } {
  const dump = path.join(dir, 'in.dump');
  writeFileSync(
    dump,
    [
      '(0008,0016) UI =SecondaryCaptureImageStorage',
      `(0008,0018) UI [${SOP_INSTANCE}]`,
      '(0008,0050) SH [ACC42]',
      '(0008,1032) SQ (Sequence with undefined length #=1)',
      '  (fffe,e000) na (Item with undefined length #=1)',
      '    (0008,0100) SH [CODE1]',
      '  (fffe,e00d) na (ItemDelimitationItem)',
      '(fffe,e0dd) na (SequenceDelimitationItem)',
      '(0010,0010) PN [Doe^Jane]',
      '(0010,0020) LO [LOCAL123]',
      extra,
      '(0020,000d) UI [1.2.3.4]',
    ]
      .filter(Boolean)
      .join('\n'),
  );
  const file = path.join(dir, 'in.dcm');
  execFileSync('dump2dcm', [transferOption, '-e', '-q', dump, file]);
  const parts = splitPart10(readFileSync(file));
  return { bytes: Buffer.from(parts.dataset), ts: parts.transferSyntaxUid };
}

/** dcmdump's view of a coerced data set, wrapped as a Part-10 file again. */
function dumpOf(bytes: Buffer, ts: string): string {
  const file = path.join(dir, 'out.dcm');
  const meta = buildPart10Header({
    sopClassUid: SOP_CLASS,
    sopInstanceUid: SOP_INSTANCE,
    transferSyntaxUid: ts,
    sourceAeTitle: 'IEP_HUB',
  });
  writeFileSync(file, Buffer.concat([meta, bytes]));
  return execFileSync('dcmdump', [file]).toString();
}

describe('applyCoercion', () => {
  it.each([
    ['explicit VR little endian', '+te' as const],
    ['implicit VR little endian', '+ti' as const],
  ])('sets, prefixes and removes top-level elements (%s), leaving the rest as it was', (_, option) => {
    const { bytes, ts } = dataset(option);
    const before = dumpOf(bytes, ts);
    const result = applyCoercion(
      bytes,
      ts,
      [
        { op: 'set', tag: 'IssuerOfPatientID', value: '{sender.patientIdIssuer}' },
        { op: 'prefix', tag: 'AccessionNumber', value: '{sender.code}-' },
        { op: 'remove', tag: 'PatientName' },
        { op: 'set', tag: '(0020,0010)', value: 'S1' },
      ],
      CONTEXT,
    );
    expect(result.problems).toEqual([]);
    const after = dumpOf(result.dataset, ts);
    expect(after).toMatch(/\(0010,0021\) LO \[RVJ-PAS ?\]/);
    expect(after).toMatch(/\(0008,0050\) SH \[RVJ-ACC42 ?\]/);
    expect(after).not.toMatch(/\(0010,0010\)/);
    expect(after).toMatch(/\(0020,0010\) SH \[S1 ?\]/);
    expect(after).toMatch(/Sequence with undefined length/);
    // Everything else, including the nested sequence, is unchanged.
    const unchanged = (text: string) =>
      text
        .split('\n')
        .filter((line) => /^\s*\(/.test(line) && !/\((0010,0021|0008,0050|0010,0010|0020,0010)\)/.test(line));
    expect(unchanged(after)).toEqual(unchanged(before));
    expect(dumpOf(bytes, ts)).toEqual(before);
  });

  it('copies a valid NHS number into PatientID, and keeps the original (reporting it) when invalid', () => {
    const valid = dataset('+te', '(0010,1000) LO [9434765919]');
    const rule = { op: 'copy' as const, tag: 'PatientID', from: 'OtherPatientIDs', check: 'nhs-number' as const };
    const copied = applyCoercion(valid.bytes, valid.ts, [rule], CONTEXT);
    expect(copied.problems).toEqual([]);
    expect(dumpOf(copied.dataset, valid.ts)).toMatch(/\(0010,0020\) LO \[9434765919 ?\]/);

    const invalid = dataset('+te', '(0010,1000) LO [9434765918]');
    const kept = applyCoercion(invalid.bytes, invalid.ts, [rule], CONTEXT);
    expect(kept.problems).toEqual(['PatientID: not a valid NHS number, original kept']);
    expect(kept.dataset.equals(invalid.bytes)).toBe(true);
  });

  describe("in the data set's character set", () => {
    const dumpUtf8 = (bytes: Buffer, ts: string) => {
      dumpOf(bytes, ts);
      return execFileSync('dcmdump', ['+U8', path.join(dir, 'out.dcm')]).toString('utf8');
    };

    it('writes a Latin-1 value in ISO_IR 100, and prefixes a Latin-1 value as text', () => {
      const { bytes, ts } = dataset('+te', '(0008,0005) CS [ISO_IR 100]');
      const named = applyCoercion(bytes, ts, [{ op: 'set', tag: 'PatientName', value: 'MÜLLER^RENÉE' }], CONTEXT);
      expect(named.problems).toEqual([]);
      expect(named.dataset.includes(Buffer.from('M\xdcLLER^REN\xc9E', 'latin1'))).toBe(true);
      expect(dumpUtf8(named.dataset, ts)).toMatch(/\(0010,0010\) PN \[MÜLLER\^RENÉE\]/);
      const prefixed = applyCoercion(named.dataset, ts, [{ op: 'prefix', tag: 'PatientName', value: 'Ä-' }], CONTEXT);
      // dcmdump +U8 shows the text converted (and (0008,0005) as ISO_IR 192); without it, what the file says.
      expect(dumpOf(prefixed.dataset, ts)).toMatch(/\(0008,0005\) CS \[ISO_IR 100\]/);
      const dump = dumpUtf8(prefixed.dataset, ts);
      expect(dump).toMatch(/\(0010,0010\) PN \[Ä-MÜLLER\^RENÉE\]/);
    });

    it('declares ISO_IR 192 for a value the default repertoire cannot hold', () => {
      const { bytes, ts } = dataset('+ti');
      const result = applyCoercion(bytes, ts, [{ op: 'set', tag: 'PatientName', value: 'ŻÓŁĆ^ŁUKASZ' }], CONTEXT);
      expect(result.problems).toEqual([]);
      expect(dumpOf(result.dataset, ts)).toMatch(/\(0008,0005\) CS \[ISO_IR 192\]/);
      const dump = dumpUtf8(result.dataset, ts);
      expect(dump).toMatch(/\(0010,0010\) PN \[ŻÓŁĆ\^ŁUKASZ\]/);
    });

    it('keeps the original, and says so, when a value does not fit a set the data set already uses', () => {
      const { bytes, ts } = dataset('+te', '(0008,0005) CS [ISO_IR 100]');
      const result = applyCoercion(bytes, ts, [{ op: 'set', tag: 'PatientName', value: '山田^太郎' }], CONTEXT);
      expect(result.problems).toEqual([
        '(0010,0010): the new value has characters ISO_IR 100 cannot hold, original kept',
      ]);
      expect(result.dataset.equals(bytes)).toBe(true);
    });
  });

  it('sends a deflated data set unchanged and says so', () => {
    const bytes = Buffer.from([1, 2, 3, 4]);
    const result = applyCoercion(
      bytes,
      '1.2.840.10008.1.2.1.99',
      [{ op: 'set', tag: 'PatientID', value: 'X' }],
      CONTEXT,
    );
    expect(result.dataset).toBe(bytes);
    expect(result.problems[0]).toMatch(/not applied/);
  });
});

describe('leadingElementsLength (the head coercion reads)', () => {
  const rules = [
    { op: 'set' as const, tag: 'IssuerOfPatientID', value: '{sender.patientIdIssuer}' },
    { op: 'prefix' as const, tag: 'AccessionNumber', value: '{sender.code}-' },
    { op: 'copy' as const, tag: 'PatientID', from: 'OtherPatientIDs' },
  ];

  it('scopes rules to the tags they read and write', () => {
    expect(coercionScope(rules)).toBe(0x00101000 + 1);
    expect(coercionScope([])).toBe(0);
  });

  it.each([
    ['explicit VR little endian', '+te' as const],
    ['implicit VR little endian', '+ti' as const],
  ])('coercing the head and sending the rest as stored equals coercing the whole (%s)', (_, option) => {
    const { bytes, ts } = dataset(option, '(0010,1000) LO [9434765919]');
    const scope = coercionScope(rules);
    const head = leadingElementsLength(bytes, ts, scope, true)!;
    expect(head).toBeGreaterThan(0);
    expect(head).toBeLessThan(bytes.length);
    const whole = applyCoercion(bytes, ts, rules, CONTEXT).dataset;
    const split = Buffer.concat([
      applyCoercion(bytes.subarray(0, head), ts, rules, CONTEXT).dataset,
      bytes.subarray(head),
    ]);
    expect(split.equals(whole)).toBe(true);
    // Any shorter prefix is not enough to tell; the head itself is, once the next element's tag is in.
    for (let cut = 0; cut < head + 4; cut += 1) {
      expect(leadingElementsLength(bytes.subarray(0, cut), ts, scope, false)).toBeUndefined();
    }
    expect(leadingElementsLength(bytes.subarray(0, head + 8), ts, scope, false)).toBe(head);
  });

  it('is empty for rules with nothing to apply, and for deflated data sets', () => {
    expect(leadingElementsLength(Buffer.alloc(64), '1.2.840.10008.1.2.1', 0, false)).toBe(0);
    expect(leadingElementsLength(Buffer.alloc(64), '1.2.840.10008.1.2.1.99', 0x00101001, false)).toBe(0);
  });
});

describe('isValidNhsNumber and resolveTag', () => {
  it.each([
    ['9434765919', true],
    ['943 476 5919', true],
    ['9434765918', false],
    ['123456789', false],
    ['1234567890', false],
  ])('%s → %s', (value, expected) => expect(isValidNhsNumber(value)).toBe(expected));

  it('knows keywords and tags, and not typos', () => {
    expect(resolveTag('PatientID')).toEqual({ tag: 0x00100020, vr: 'LO' });
    expect(resolveTag('(0008,0050)')).toEqual({ tag: 0x00080050, vr: 'SH' });
    expect(resolveTag('PatientId')).toBeUndefined();
  });
});

describe('value lengths (PS3.5 table 6.2-1)', () => {
  it('cuts a prefixed 16-character AccessionNumber to 16 and names the element, not the value, in the problem', () => {
    const { bytes, ts } = dataset('+te');
    const result = applyCoercion(
      bytes,
      ts,
      [
        { op: 'set', tag: 'AccessionNumber', value: 'ACC4567890123456' },
        { op: 'prefix', tag: 'AccessionNumber', value: '{sender.code}-' },
      ],
      CONTEXT,
    );
    expect(dumpOf(result.dataset, ts)).toMatch(/\(0008,0050\) SH \[RVJ-ACC456789012\] +# +16,/);
    expect(result.problems).toEqual(['(0008,0050): cut to 16 characters, the most SH holds']);
    expect(result.problems.join()).not.toContain('ACC45');
  });

  it('leaves a value that fits alone, and cuts what a C-FIND answer would carry too', () => {
    const rules = [{ op: 'prefix' as const, tag: 'AccessionNumber', value: '{sender.code}-' }];
    expect(coerceAttributes({ AccessionNumber: 'A123456789AB' }, rules, CONTEXT)).toEqual({
      values: { AccessionNumber: 'RVJ-A123456789AB' },
      problems: [],
    });
    expect(coerceAttributes({ AccessionNumber: 'A123456789ABCDE' }, rules, CONTEXT)).toEqual({
      values: { AccessionNumber: 'RVJ-A123456789AB' },
      problems: ['(0008,0050): cut to 16 characters, the most SH holds'],
    });
  });

  it.each([
    ['SH', 'ABCDEFGHIJKLMNOPQ', 'ABCDEFGHIJKLMNOP', true],
    ['SH', 'ÄBCDEFGHIJKLMNOP', 'ÄBCDEFGHIJKLMNOP', false],
    ['CS', `${'A'.repeat(17)}\\B`, `${'A'.repeat(16)}\\B`, true],
    ['PN', `${'D'.repeat(60)}^Jane=${'山'.repeat(64)}`, `${'D'.repeat(60)}^Jan=${'山'.repeat(64)}`, true],
    ['LT', `${'x'.repeat(10239)}\\y`, `${'x'.repeat(10239)}\\`, true],
    ['UT', 'x'.repeat(20000), 'x'.repeat(20000), false],
  ])('%s, case %#: each value, and each PN component group, at most the VR allows', (vr, value, expected, cut) => {
    expect(fitToVr(value, vr)).toEqual({ value: expected, cut });
  });
});

describe('coercionLengthWarning', () => {
  const LONGEST = { sender: { code: 'RVJ', patientIdIssuer: 'X'.repeat(70) }, recipient: { code: 'RA7' } };

  it.each([
    [{ op: 'prefix' as const, tag: 'AccessionNumber', value: '{sender.code}-' }, /SH, at most 16.*prefix adds up to 4/],
    [{ op: 'set' as const, tag: 'IssuerOfPatientID', value: '{sender.patientIdIssuer}' }, /LO, at most 64.*\(70\)/],
    [{ op: 'copy' as const, tag: 'AccessionNumber', from: 'PatientID' }, /copy from PatientID \(LO, at most 64\)/],
    [{ op: 'copy' as const, tag: 'StudyID', from: 'ImageComments' }, /\(LT, at most 10240\)/],
  ])('warns: %o', (rule, message) => {
    expect(coercionLengthWarning(rule, LONGEST)).toMatch(message);
  });

  it.each([
    { op: 'set' as const, tag: 'AccessionNumber', value: '{recipient.code}-0001' },
    { op: 'copy' as const, tag: 'OtherPatientIDs', from: 'PatientID' },
    { op: 'remove' as const, tag: 'AccessionNumber' },
    { op: 'prefix' as const, tag: 'StudyDescription', value: '' },
    { op: 'set' as const, tag: 'Unknown', value: 'x' },
  ])('is quiet when no value can exceed the limit: %o', (rule) => {
    expect(coercionLengthWarning(rule, LONGEST)).toBeUndefined();
  });
});

describe('applyCoercion on a malformed data set', () => {
  it('refuses sequences nested deeper than the element reader allows (32), as every walk does', () => {
    const sequence = (inner: Buffer) =>
      Buffer.concat([
        Buffer.from([0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff]),
        Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]),
        inner,
        Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]),
        Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
      ]);
    let nested = Buffer.from([0x10, 0x00, 0x20, 0x00, 0x4c, 0x4f, 2, 0, 0x49, 0x44]);
    for (let depth = 0; depth < 33; depth++) {
      nested = sequence(nested);
    }
    const rules = [{ op: 'set' as const, tag: 'PatientID', value: 'X' }];
    expect(() => applyCoercion(nested, '1.2.840.10008.1.2.1', rules, CONTEXT)).toThrow(/nested deeper than 32/);
  });
});
