// Generates valid DICOM Part-10 files for tests and benchmarks. Nothing is committed: data is always made here.
// Uncompressed files are encoded in-process (a tiny Explicit/Implicit VR Little Endian writer, pixel buffers
// shared between instances); compressed series are written as Explicit VR LE and converted with DCMTK.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync, writevSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { runDcmtk } from './dcmtk';

// ---------------------------------------------------------------------------------------------------------------
// Encoder

export type Vr =
  | 'AE'
  | 'AS'
  | 'AT'
  | 'CS'
  | 'DA'
  | 'DS'
  | 'DT'
  | 'FD'
  | 'FL'
  | 'IS'
  | 'LO'
  | 'LT'
  | 'OB'
  | 'OD'
  | 'OF'
  | 'OL'
  | 'OW'
  | 'PN'
  | 'SH'
  | 'SL'
  | 'SQ'
  | 'SS'
  | 'ST'
  | 'TM'
  | 'UC'
  | 'UI'
  | 'UL'
  | 'UN'
  | 'UR'
  | 'US'
  | 'UT';

/** A data set (or sequence item): elements in any order; the encoder sorts them. */
export type DicomDataset = DicomElement[];

export interface DicomElement {
  /** (group << 16 | element) as an unsigned number, e.g. 0x00100010 for PatientName. */
  tag: number;
  vr: Vr;
  /**
   * Text VRs: a string, or string[] joined with backslash. Binary numeric VRs (US, UL, SS, SL, FL, FD, AT):
   * number or number[]. OB/OW/UN/...: a Buffer, shared, never copied. SQ: an array of items.
   */
  value: string | readonly string[] | number | readonly number[] | Buffer | readonly DicomDataset[];
}

export const TransferSyntaxUid = {
  implicit: '1.2.840.10008.1.2',
  explicit: '1.2.840.10008.1.2.1',
  'jpeg-lossless': '1.2.840.10008.1.2.4.70',
  rle: '1.2.840.10008.1.2.5',
  'jpeg-ls': '1.2.840.10008.1.2.4.80',
} as const;
export type TransferSyntaxName = keyof typeof TransferSyntaxUid;

export const SopClassUid = {
  ct: '1.2.840.10008.5.1.4.1.1.2',
  mr: '1.2.840.10008.5.1.4.1.1.4',
  basicTextSr: '1.2.840.10008.5.1.4.1.1.88.11',
  encapsulatedPdf: '1.2.840.10008.5.1.4.1.1.104.1',
  secondaryCapture: '1.2.840.10008.5.1.4.1.1.7',
  multiFrameGrayscaleWordSc: '1.2.840.10008.5.1.4.1.1.7.3',
} as const;

/** Implementation identity written into every file meta header (a 2.25 UID fixed for this factory). */
export const IMPLEMENTATION_CLASS_UID = '2.25.186554211316424405389563232417389207049';
export const IMPLEMENTATION_VERSION_NAME = 'IEHUB_FACTORY_1';

const LONG_HEADER_VRS = new Set<Vr>(['OB', 'OD', 'OF', 'OL', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT']);
const NUMERIC_SIZES: Partial<Record<Vr, number>> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4 };

function writeNumber(buf: Buffer, vr: Vr, offset: number, n: number): void {
  switch (vr) {
    case 'US':
      buf.writeUInt16LE(n, offset);
      return;
    case 'SS':
      buf.writeInt16LE(n, offset);
      return;
    case 'UL':
      buf.writeUInt32LE(n, offset);
      return;
    case 'SL':
      buf.writeInt32LE(n, offset);
      return;
    case 'FL':
      buf.writeFloatLE(n, offset);
      return;
    case 'FD':
      buf.writeDoubleLE(n, offset);
      return;
    case 'AT':
      buf.writeUInt16LE(n >>> 16, offset);
      buf.writeUInt16LE(n & 0xffff, offset + 2);
      return;
    default:
      throw new Error(`not a binary numeric VR: ${vr}`);
  }
}

/** The value bytes of a non-SQ element, padded to even length (UI with NUL, text with space, binary with NUL). */
function encodeValue(el: DicomElement): Buffer {
  const size = NUMERIC_SIZES[el.vr];
  if (size !== undefined) {
    const values = typeof el.value === 'number' ? [el.value] : (el.value as readonly number[]);
    const buf = Buffer.alloc(values.length * size);
    values.forEach((n, i) => writeNumber(buf, el.vr, i * size, n));
    return buf;
  }
  if (Buffer.isBuffer(el.value)) {
    return el.value.length % 2 === 0 ? el.value : Buffer.concat([el.value, Buffer.alloc(1)]);
  }
  if (typeof el.value === 'string' || (Array.isArray(el.value) && el.value.every((v) => typeof v === 'string'))) {
    const text = typeof el.value === 'string' ? el.value : (el.value as string[]).join('\\');
    // ISO_IR 100 is declared in every data set, so latin1 is the byte encoding.
    const raw = Buffer.from(text, 'latin1');
    if (raw.length % 2 === 0) {
      return raw;
    }
    return Buffer.concat([raw, Buffer.from(el.vr === 'UI' ? [0] : [0x20])]);
  }
  throw new Error(`bad value for (${tagString(el.tag)}) ${el.vr}`);
}

export function tagString(tag: number): string {
  const hex = (tag >>> 0).toString(16).padStart(8, '0');
  return `${hex.slice(0, 4)},${hex.slice(4)}`;
}

/** Element header (tag, VR, length) in Explicit or Implicit VR Little Endian. */
export function encodeElementHeader(tag: number, vr: Vr, length: number, explicit: boolean): Buffer {
  const long = explicit && LONG_HEADER_VRS.has(vr);
  const buf = Buffer.alloc(explicit ? (long ? 12 : 8) : 8);
  buf.writeUInt16LE(tag >>> 16, 0);
  buf.writeUInt16LE(tag & 0xffff, 2);
  if (!explicit) {
    buf.writeUInt32LE(length, 4);
  } else if (long) {
    buf.write(vr, 4, 'latin1');
    buf.writeUInt32LE(length, 8);
  } else {
    if (length > 0xffff) {
      throw new Error(`value of ${vr} element (${tagString(tag)}) too long for a 16-bit length: ${length}`);
    }
    buf.write(vr, 4, 'latin1');
    buf.writeUInt16LE(length, 6);
  }
  return buf;
}

function itemHeader(length: number): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeUInt16LE(0xfffe, 0);
  buf.writeUInt16LE(0xe000, 2);
  buf.writeUInt32LE(length, 4);
  return buf;
}

function byteLength(chunks: readonly Buffer[]): number {
  let n = 0;
  for (const c of chunks) {
    n += c.length;
  }
  return n;
}

/**
 * Encodes a data set as a list of chunks (large Buffer values are referenced, not copied). Elements are sorted by
 * tag; sequences and items get defined lengths.
 */
export function encodeDataset(dataset: DicomDataset, explicit = true): Buffer[] {
  const sorted = [...dataset].sort((a, b) => (a.tag >>> 0) - (b.tag >>> 0));
  const chunks: Buffer[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const el = sorted[i];
    if (i > 0 && sorted[i - 1].tag === el.tag) {
      throw new Error(`duplicate element (${tagString(el.tag)})`);
    }
    if (el.vr === 'SQ') {
      const body: Buffer[] = [];
      for (const item of el.value as readonly DicomDataset[]) {
        const itemChunks = encodeDataset(item, explicit);
        body.push(itemHeader(byteLength(itemChunks)), ...itemChunks);
      }
      chunks.push(encodeElementHeader(el.tag, 'SQ', byteLength(body), explicit), ...body);
    } else {
      const value = encodeValue(el);
      chunks.push(encodeElementHeader(el.tag, el.vr, value.length, explicit), value);
    }
  }
  return chunks;
}

/** Preamble, "DICM" and group 0002 with its group length, always Explicit VR Little Endian. */
export function encodeFileMeta(sopClassUid: string, sopInstanceUid: string, transferSyntaxUid: string): Buffer {
  const meta = Buffer.concat(
    encodeDataset([
      { tag: 0x00020001, vr: 'OB', value: Buffer.from([0, 1]) },
      { tag: 0x00020002, vr: 'UI', value: sopClassUid },
      { tag: 0x00020003, vr: 'UI', value: sopInstanceUid },
      { tag: 0x00020010, vr: 'UI', value: transferSyntaxUid },
      { tag: 0x00020012, vr: 'UI', value: IMPLEMENTATION_CLASS_UID },
      { tag: 0x00020013, vr: 'SH', value: IMPLEMENTATION_VERSION_NAME },
    ]),
  );
  const groupLength = Buffer.concat(encodeDataset([{ tag: 0x00020000, vr: 'UL', value: meta.length }]));
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return Buffer.concat([preamble, groupLength, meta]);
}

function uidOf(dataset: DicomDataset, tag: number): string {
  const el = dataset.find((e) => e.tag === tag);
  if (!el || typeof el.value !== 'string') {
    throw new Error(`data set has no (${tagString(tag)})`);
  }
  return el.value;
}

/**
 * Writes a Part-10 file. The file meta is taken from the data set's SOPClassUID/SOPInstanceUID unless given (hostile
 * files lack or corrupt them).
 */
export function writePart10(
  path: string,
  dataset: DicomDataset,
  transferSyntax: 'explicit' | 'implicit' = 'explicit',
  meta?: { sopClassUid: string; sopInstanceUid: string },
): number {
  const header = encodeFileMeta(
    meta?.sopClassUid ?? uidOf(dataset, Tag.SOPClassUID),
    meta?.sopInstanceUid ?? uidOf(dataset, Tag.SOPInstanceUID),
    TransferSyntaxUid[transferSyntax],
  );
  const chunks = [header, ...encodeDataset(dataset, transferSyntax === 'explicit')];
  const fd = openSync(path, 'w');
  try {
    let written = 0;
    const total = byteLength(chunks);
    // writev may write partially for large totals; fall back to chunk writes then.
    written = writevSync(fd, chunks);
    if (written !== total) {
      let skip = written;
      for (const c of chunks) {
        if (skip >= c.length) {
          skip -= c.length;
          continue;
        }
        writeAll(fd, c.subarray(skip));
        skip = 0;
      }
    }
    return total;
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) {
    off += writeSync(fd, buf, off, buf.length - off);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Attributes

/** Tags used by the factory (keyword → tag number). */
export const Tag = {
  SpecificCharacterSet: 0x00080005,
  ImageType: 0x00080008,
  InstanceCreationDate: 0x00080012,
  InstanceCreationTime: 0x00080013,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  StudyDate: 0x00080020,
  SeriesDate: 0x00080021,
  ContentDate: 0x00080023,
  StudyTime: 0x00080030,
  SeriesTime: 0x00080031,
  ContentTime: 0x00080033,
  AccessionNumber: 0x00080050,
  Modality: 0x00080060,
  ConversionType: 0x00080064,
  Manufacturer: 0x00080070,
  InstitutionName: 0x00080080,
  ReferringPhysicianName: 0x00080090,
  CodeValue: 0x00080100,
  CodingSchemeDesignator: 0x00080102,
  CodeMeaning: 0x00080104,
  StudyDescription: 0x00081030,
  SeriesDescription: 0x0008103e,
  ManufacturerModelName: 0x00081090,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  PatientBirthDate: 0x00100030,
  PatientSex: 0x00100040,
  SliceThickness: 0x00180050,
  KVP: 0x00180060,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  StudyID: 0x00200010,
  SeriesNumber: 0x00200011,
  InstanceNumber: 0x00200013,
  ImagePositionPatient: 0x00200032,
  ImageOrientationPatient: 0x00200037,
  FrameOfReferenceUID: 0x00200052,
  PositionReferenceIndicator: 0x00201040,
  SliceLocation: 0x00201041,
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  PixelSpacing: 0x00280030,
  BitsAllocated: 0x00280100,
  BitsStored: 0x00280101,
  HighBit: 0x00280102,
  PixelRepresentation: 0x00280103,
  WindowCenter: 0x00281050,
  WindowWidth: 0x00281051,
  RescaleIntercept: 0x00281052,
  RescaleSlope: 0x00281053,
  BurnedInAnnotation: 0x00280301,
  DocumentTitle: 0x00420010,
  EncapsulatedDocument: 0x00420011,
  MIMETypeOfEncapsulatedDocument: 0x00420012,
  EncapsulatedDocumentLength: 0x00420015,
  ValueType: 0x0040a040,
  RelationshipType: 0x0040a010,
  ConceptNameCodeSequence: 0x0040a043,
  CompletionFlag: 0x0040a491,
  VerificationFlag: 0x0040a493,
  ContentSequence: 0x0040a730,
  TextValue: 0x0040a160,
  ContinuityOfContent: 0x0040a050,
  PerformedProcedureCodeSequence: 0x0040a372,
  ReferencedPerformedProcedureStepSequence: 0x00081111,
  PixelData: 0x7fe00010,
} as const;

/** A fresh UID under 2.25 from 128 random bits (decimal, so no leading zero and at most 44 characters). */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`).toString(10)}`;
}

function dicomDate(d: Date): string {
  return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
}

function dicomTime(d: Date): string {
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join('');
}

/** 16-bit unsigned pixels holding 12-bit values (a radial gradient), shared by every instance of that size. */
const pixelCache = new Map<number, Buffer>();
function pixels12(rows: number, columns: number): Buffer {
  const key = rows * 100000 + columns;
  let buf = pixelCache.get(key);
  if (!buf) {
    buf = Buffer.alloc(rows * columns * 2);
    const cr = rows / 2;
    const cc = columns / 2;
    const max = Math.hypot(cr, cc);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) {
        const d = Math.hypot(r - cr, c - cc) / max;
        buf.writeUInt16LE(Math.round((1 - d) * 3000 + ((r * 7 + c * 13) % 64)) & 0x0fff, (r * columns + c) * 2);
      }
    }
    pixelCache.set(key, buf);
  }
  return buf;
}

/** A minimal, valid one-page PDF ("%PDF-1.4", catalog, pages, page, content stream, font, xref with exact offsets). */
export function minimalPdf(text: string): Buffer {
  const safe = text.replace(/[()\\]/g, ' ');
  const stream = `BT /F1 12 Tf 72 720 Td (${safe}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

// ---------------------------------------------------------------------------------------------------------------
// Studies

export type SeriesKind = 'ct' | 'mr-small' | 'sr' | 'pdf';

export interface SeriesSpec {
  kind: SeriesKind;
  count: number;
  /** Default explicit. Compressed syntaxes only for ct and mr-small (they need pixel data). */
  transferSyntax?: TransferSyntaxName;
}

export interface StudySpec {
  patientId: string;
  patientName: string;
  studyInstanceUid?: string;
  accessionNumber?: string;
  series: SeriesSpec[];
}

export interface GeneratedInstance {
  path: string;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
}

export interface GeneratedSeries {
  kind: SeriesKind;
  seriesInstanceUid: string;
  seriesNumber: number;
  transferSyntaxUid: string;
  instances: GeneratedInstance[];
}

export interface GeneratedStudy {
  /** Every written file, in series then instance order. */
  files: string[];
  studyInstanceUid: string;
  patientId: string;
  accessionNumber: string;
  series: GeneratedSeries[];
}

export interface InstanceContext {
  patientId: string;
  patientName: string;
  studyInstanceUid: string;
  accessionNumber: string;
  seriesInstanceUid: string;
  seriesNumber: number;
  frameOfReferenceUid: string;
  instanceNumber: number;
  now: Date;
}

const SERIES_DESCRIPTION: Record<SeriesKind, string> = {
  ct: 'CT HEAD WO CONTRAST',
  'mr-small': 'MR SCOUT',
  sr: 'RADIOLOGY REPORT',
  pdf: 'REQUEST FORM',
};

function commonAttributes(ctx: InstanceContext, sopClassUid: string, sopInstanceUid: string, modality: string) {
  const date = dicomDate(ctx.now);
  const time = dicomTime(ctx.now);
  const ds: DicomDataset = [
    { tag: Tag.SpecificCharacterSet, vr: 'CS', value: 'ISO_IR 100' },
    { tag: Tag.InstanceCreationDate, vr: 'DA', value: date },
    { tag: Tag.InstanceCreationTime, vr: 'TM', value: time },
    { tag: Tag.SOPClassUID, vr: 'UI', value: sopClassUid },
    { tag: Tag.SOPInstanceUID, vr: 'UI', value: sopInstanceUid },
    { tag: Tag.StudyDate, vr: 'DA', value: date },
    { tag: Tag.SeriesDate, vr: 'DA', value: date },
    { tag: Tag.ContentDate, vr: 'DA', value: date },
    { tag: Tag.StudyTime, vr: 'TM', value: time },
    { tag: Tag.SeriesTime, vr: 'TM', value: time },
    { tag: Tag.ContentTime, vr: 'TM', value: time },
    { tag: Tag.AccessionNumber, vr: 'SH', value: ctx.accessionNumber },
    { tag: Tag.Modality, vr: 'CS', value: modality },
    { tag: Tag.Manufacturer, vr: 'LO', value: 'IEHUB TEST FACTORY' },
    { tag: Tag.InstitutionName, vr: 'LO', value: 'Test Trust' },
    { tag: Tag.ReferringPhysicianName, vr: 'PN', value: '' },
    { tag: Tag.StudyDescription, vr: 'LO', value: 'SYNTHETIC TEST STUDY' },
    { tag: Tag.PatientName, vr: 'PN', value: ctx.patientName },
    { tag: Tag.PatientID, vr: 'LO', value: ctx.patientId },
    { tag: Tag.PatientBirthDate, vr: 'DA', value: '19700101' },
    { tag: Tag.PatientSex, vr: 'CS', value: 'O' },
    { tag: Tag.StudyInstanceUID, vr: 'UI', value: ctx.studyInstanceUid },
    { tag: Tag.SeriesInstanceUID, vr: 'UI', value: ctx.seriesInstanceUid },
    { tag: Tag.StudyID, vr: 'SH', value: '1' },
    { tag: Tag.SeriesNumber, vr: 'IS', value: String(ctx.seriesNumber) },
    { tag: Tag.InstanceNumber, vr: 'IS', value: String(ctx.instanceNumber) },
  ];
  return ds;
}

function imageAttributes(ctx: InstanceContext, rows: number, columns: number, sliceSpacing: number): DicomDataset {
  const z = (ctx.instanceNumber - 1) * sliceSpacing;
  return [
    { tag: Tag.ImageType, vr: 'CS', value: ['ORIGINAL', 'PRIMARY', 'AXIAL'] },
    { tag: Tag.SliceThickness, vr: 'DS', value: String(sliceSpacing) },
    { tag: Tag.ImagePositionPatient, vr: 'DS', value: ['-125', '-125', z.toFixed(1)] },
    { tag: Tag.ImageOrientationPatient, vr: 'DS', value: ['1', '0', '0', '0', '1', '0'] },
    { tag: Tag.FrameOfReferenceUID, vr: 'UI', value: ctx.frameOfReferenceUid },
    { tag: Tag.PositionReferenceIndicator, vr: 'LO', value: '' },
    { tag: Tag.SliceLocation, vr: 'DS', value: z.toFixed(1) },
    { tag: Tag.SamplesPerPixel, vr: 'US', value: 1 },
    { tag: Tag.PhotometricInterpretation, vr: 'CS', value: 'MONOCHROME2' },
    { tag: Tag.Rows, vr: 'US', value: rows },
    { tag: Tag.Columns, vr: 'US', value: columns },
    { tag: Tag.PixelSpacing, vr: 'DS', value: ['0.488281', '0.488281'] },
    { tag: Tag.BitsAllocated, vr: 'US', value: 16 },
    { tag: Tag.BitsStored, vr: 'US', value: 12 },
    { tag: Tag.HighBit, vr: 'US', value: 11 },
    { tag: Tag.PixelRepresentation, vr: 'US', value: 0 },
    { tag: Tag.WindowCenter, vr: 'DS', value: '40' },
    { tag: Tag.WindowWidth, vr: 'DS', value: '400' },
    { tag: Tag.PixelData, vr: 'OW', value: pixels12(rows, columns) },
  ];
}

function code(value: string, scheme: string, meaning: string): DicomDataset {
  return [
    { tag: Tag.CodeValue, vr: 'SH', value },
    { tag: Tag.CodingSchemeDesignator, vr: 'SH', value: scheme },
    { tag: Tag.CodeMeaning, vr: 'LO', value: meaning },
  ];
}

/** Builds the data set of one instance of a series kind. */
export function buildInstance(kind: SeriesKind, ctx: InstanceContext, sopInstanceUid = newUid()): DicomDataset {
  switch (kind) {
    case 'ct':
      return [
        ...commonAttributes(ctx, SopClassUid.ct, sopInstanceUid, 'CT'),
        { tag: Tag.SeriesDescription, vr: 'LO', value: SERIES_DESCRIPTION.ct },
        { tag: Tag.KVP, vr: 'DS', value: '120' },
        { tag: Tag.RescaleIntercept, vr: 'DS', value: '-1024' },
        { tag: Tag.RescaleSlope, vr: 'DS', value: '1' },
        ...imageAttributes(ctx, 512, 512, 1.25),
      ];
    case 'mr-small':
      return [
        ...commonAttributes(ctx, SopClassUid.mr, sopInstanceUid, 'MR'),
        { tag: Tag.SeriesDescription, vr: 'LO', value: SERIES_DESCRIPTION['mr-small'] },
        ...imageAttributes(ctx, 64, 64, 5),
      ];
    case 'sr':
      return [
        ...commonAttributes(ctx, SopClassUid.basicTextSr, sopInstanceUid, 'SR'),
        { tag: Tag.SeriesDescription, vr: 'LO', value: SERIES_DESCRIPTION.sr },
        { tag: Tag.ReferencedPerformedProcedureStepSequence, vr: 'SQ', value: [] },
        { tag: Tag.ValueType, vr: 'CS', value: 'CONTAINER' },
        { tag: Tag.ConceptNameCodeSequence, vr: 'SQ', value: [code('18748-4', 'LN', 'Diagnostic Imaging Report')] },
        { tag: Tag.ContinuityOfContent, vr: 'CS', value: 'SEPARATE' },
        { tag: Tag.PerformedProcedureCodeSequence, vr: 'SQ', value: [] },
        { tag: Tag.CompletionFlag, vr: 'CS', value: 'COMPLETE' },
        { tag: Tag.VerificationFlag, vr: 'CS', value: 'UNVERIFIED' },
        {
          tag: Tag.ContentSequence,
          vr: 'SQ',
          value: [
            [
              { tag: Tag.RelationshipType, vr: 'CS', value: 'CONTAINS' },
              { tag: Tag.ValueType, vr: 'CS', value: 'TEXT' },
              { tag: Tag.ConceptNameCodeSequence, vr: 'SQ', value: [code('121071', 'DCM', 'Finding')] },
              {
                tag: Tag.TextValue,
                vr: 'UT',
                value: `Synthetic report ${ctx.instanceNumber}: no acute intracranial abnormality.`,
              },
            ],
          ],
        },
      ];
    case 'pdf': {
      const pdf = minimalPdf(`Synthetic request form ${ctx.instanceNumber}`);
      return [
        ...commonAttributes(ctx, SopClassUid.encapsulatedPdf, sopInstanceUid, 'DOC'),
        { tag: Tag.SeriesDescription, vr: 'LO', value: SERIES_DESCRIPTION.pdf },
        { tag: Tag.ConversionType, vr: 'CS', value: 'WSD' },
        { tag: Tag.BurnedInAnnotation, vr: 'CS', value: 'YES' },
        { tag: Tag.ConceptNameCodeSequence, vr: 'SQ', value: [] },
        { tag: Tag.DocumentTitle, vr: 'ST', value: 'Request form' },
        { tag: Tag.EncapsulatedDocument, vr: 'OB', value: pdf },
        { tag: Tag.MIMETypeOfEncapsulatedDocument, vr: 'LO', value: 'application/pdf' },
        { tag: Tag.EncapsulatedDocumentLength, vr: 'UL', value: pdf.length },
      ];
    }
  }
}

const DCMTK_CONVERTER: Partial<Record<TransferSyntaxName, { tool: string; args: string[] }>> = {
  'jpeg-lossless': { tool: 'dcmcjpeg', args: ['+e1', '+un'] },
  rle: { tool: 'dcmcrle', args: ['+un'] },
  'jpeg-ls': { tool: 'dcmcjpls', args: ['+el', '+un'] },
};

/** Runs async jobs with at most `limit` in flight (DCMTK conversions: one process per file). */
async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      await fn(items[next++]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Converts an Explicit VR LE file in place to a compressed transfer syntax with DCMTK. */
export async function compressWithDcmtk(path: string, transferSyntax: TransferSyntaxName): Promise<void> {
  const converter = DCMTK_CONVERTER[transferSyntax];
  if (!converter) {
    throw new Error(`${transferSyntax} is not a DCMTK-compressed transfer syntax`);
  }
  const tmp = `${path}.${converter.tool}.tmp`;
  const result = await runDcmtk(converter.tool, [...converter.args, path, tmp], { timeoutMs: 60_000 });
  if (result.code !== 0) {
    await unlink(tmp).catch(() => undefined);
    throw new Error(`${converter.tool} failed on ${path} (exit ${result.code}): ${result.stderr || result.stdout}`);
  }
  await rename(tmp, path);
}

let fileCounter = 0;

/**
 * Writes one study into `dir` (created if needed): one series per spec, `count` instances each. File names are
 * unique within the directory, so several studies can share one.
 */
export async function makeStudy(dir: string, spec: StudySpec): Promise<GeneratedStudy> {
  mkdirSync(dir, { recursive: true });
  const studyInstanceUid = spec.studyInstanceUid ?? newUid();
  const accessionNumber = spec.accessionNumber ?? `ACC${randomBytes(4).readUInt32BE(0) % 100000000}`;
  const now = new Date();
  const frameOfReferenceUid = newUid();
  const prefix = `${process.pid}-${++fileCounter}`;
  const result: GeneratedStudy = {
    files: [],
    studyInstanceUid,
    patientId: spec.patientId,
    accessionNumber,
    series: [],
  };
  const toCompress: { path: string; ts: TransferSyntaxName }[] = [];

  spec.series.forEach((s, index) => {
    const ts = s.transferSyntax ?? 'explicit';
    if ((s.kind === 'sr' || s.kind === 'pdf') && ts !== 'explicit' && ts !== 'implicit') {
      throw new Error(`${s.kind} has no pixel data to encode as ${ts}`);
    }
    const series: GeneratedSeries = {
      kind: s.kind,
      seriesInstanceUid: newUid(),
      seriesNumber: index + 1,
      transferSyntaxUid: TransferSyntaxUid[ts],
      instances: [],
    };
    for (let i = 1; i <= s.count; i++) {
      const ctx: InstanceContext = {
        patientId: spec.patientId,
        patientName: spec.patientName,
        studyInstanceUid,
        accessionNumber,
        seriesInstanceUid: series.seriesInstanceUid,
        seriesNumber: series.seriesNumber,
        frameOfReferenceUid,
        instanceNumber: i,
        now,
      };
      const dataset = buildInstance(s.kind, ctx);
      const path = join(dir, `${prefix}-s${series.seriesNumber}-${s.kind}-${String(i).padStart(5, '0')}.dcm`);
      writePart10(path, dataset, ts === 'implicit' ? 'implicit' : 'explicit');
      if (ts !== 'explicit' && ts !== 'implicit') {
        toCompress.push({ path, ts });
      }
      series.instances.push({
        path,
        sopClassUid: uidOf(dataset, Tag.SOPClassUID),
        sopInstanceUid: uidOf(dataset, Tag.SOPInstanceUID),
        transferSyntaxUid: series.transferSyntaxUid,
      });
      result.files.push(path);
    }
    result.series.push(series);
  });

  await inParallel(toCompress, 2, (job) => compressWithDcmtk(job.path, job.ts));
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Hostile input

export type HostileKind = 'bad-uid' | 'no-study-uid' | 'truncated' | 'short-pixel-data';

export interface HostileInstance {
  kind: HostileKind;
  path: string;
  sopClassUid: string;
  /** What the data set carries (for bad-uid: the hostile value). */
  sopInstanceUid: string;
  /** Absent for no-study-uid. */
  studyInstanceUid?: string;
  /** Extra storescu arguments that put this file on the wire (see hostileStorescuArgs). */
  storescuArgs: string[];
}

/**
 * The storescu arguments that get each hostile kind onto the wire, found by experiment with DCMTK 3.6.7 (storescu
 * always re-encodes the data set it parsed; it never streams file bytes as they are):
 *
 * - bad-uid: none. storescu checks neither the syntax nor the length of the SOP Instance UID: the C-STORE-RQ's
 *   AffectedSOPInstanceUID and the data set's (0008,0018) both carry `1.2.3/../../x` (or `../x`) verbatim.
 *   storescp answers Success, logs "Sanitized unusual characters in SOP Instance UID" and writes
 *   `MR.1.2.3_.._.._x` (`MR..._x`) inside its output directory (the CVE-2022-2119/2120 fix in 3.6.7).
 * - no-study-uid: none. A well-formed data set without (0020,000D); storescp stores it with Success.
 * - truncated: cannot be put on the wire by storescu. PixelData declares 8192 bytes and the file ends 1000 bytes
 *   into it; storescu negotiates the association first, then fails to load the file ("PixelData (7fe0,0010)
 *   larger (8192) than remaining bytes in file", "Bad DICOM file: …: I/O suspension or premature end of stream").
 *   With `-nh` it skips the file and releases the association normally, exit 0: the peer sees an association
 *   with no C-STORE at all. Without `-nh` it sends A-ABORT, exit 1. No -f/+fo/+sd variant reads the file either.
 *   Two DCMTK-driven stand-ins reach the wire instead:
 *   - short-pixel-data (below): PixelData declares and holds 1000 bytes where Rows×Columns×2 needs 8192. storescu
 *     sends it unchanged with no extra arguments, storescp stores it with Success.
 *   - a data set cut off mid-stream: storescu(…, { killMidTransfer: { afterPdvs } }) on a makeBigInstances file
 *     SIGKILLs storescu partway through the data set; the peer gets part of the data set and then a dropped TCP
 *     connection (no A-ABORT); storescp logs "Peer aborted Association" or "DUL network closed", stores nothing.
 */
export function hostileStorescuArgs(kind: HostileKind): string[] {
  switch (kind) {
    case 'bad-uid':
      return [];
    case 'no-study-uid':
      return [];
    case 'truncated':
      return ['-nh'];
    case 'short-pixel-data':
      return [];
  }
}

/** Writes one hostile instance (an MR 64×64 otherwise like makeStudy's) into `dir`. */
export function makeHostile(dir: string, kind: HostileKind, options: { badUid?: string } = {}): HostileInstance {
  mkdirSync(dir, { recursive: true });
  const ctx: InstanceContext = {
    patientId: 'HOSTILE1',
    patientName: 'HOSTILE^TEST',
    studyInstanceUid: newUid(),
    accessionNumber: 'HOSTILE1',
    seriesInstanceUid: newUid(),
    seriesNumber: 1,
    frameOfReferenceUid: newUid(),
    instanceNumber: 1,
    now: new Date(),
  };
  const path = join(dir, `${process.pid}-${++fileCounter}-hostile-${kind}.dcm`);
  const sopClassUid = SopClassUid.mr;
  switch (kind) {
    case 'bad-uid': {
      const sopInstanceUid = options.badUid ?? '1.2.3/../../x';
      writePart10(path, buildInstance('mr-small', ctx, sopInstanceUid));
      return { kind, path, sopClassUid, sopInstanceUid, studyInstanceUid: ctx.studyInstanceUid, storescuArgs: [] };
    }
    case 'no-study-uid': {
      const dataset = buildInstance('mr-small', ctx).filter((e) => e.tag !== Tag.StudyInstanceUID);
      writePart10(path, dataset);
      return { kind, path, sopClassUid, sopInstanceUid: uidOf(dataset, Tag.SOPInstanceUID), storescuArgs: [] };
    }
    case 'truncated': {
      const dataset = buildInstance('mr-small', ctx);
      const header = encodeFileMeta(sopClassUid, uidOf(dataset, Tag.SOPInstanceUID), TransferSyntaxUid.explicit);
      const chunks = [header, ...encodeDataset(dataset)];
      const whole = Buffer.concat(chunks);
      // PixelData is the last element; cut the file 1000 bytes into its value so its declared length overruns.
      const pixelLength = pixels12(64, 64).length;
      const cut = whole.length - pixelLength + 1000;
      const fd = openSync(path, 'w');
      try {
        writeAll(fd, whole.subarray(0, cut));
      } finally {
        closeSync(fd);
      }
      return {
        kind,
        path,
        sopClassUid,
        sopInstanceUid: uidOf(dataset, Tag.SOPInstanceUID),
        studyInstanceUid: ctx.studyInstanceUid,
        storescuArgs: hostileStorescuArgs(kind),
      };
    }
    case 'short-pixel-data': {
      // Rows × Columns × 2 is 8192 bytes; PixelData declares and holds only 1000 of them.
      const dataset = buildInstance('mr-small', ctx).map((e) =>
        e.tag === Tag.PixelData ? { ...e, value: pixels12(64, 64).subarray(0, 1000) } : e,
      );
      writePart10(path, dataset);
      return {
        kind,
        path,
        sopClassUid,
        sopInstanceUid: uidOf(dataset, Tag.SOPInstanceUID),
        studyInstanceUid: ctx.studyInstanceUid,
        storescuArgs: hostileStorescuArgs(kind),
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Big instances

export interface GeneratedBigInstance extends GeneratedInstance {
  bytes: number;
}

/**
 * Writes `count` Multi-frame Grayscale Word Secondary Capture instances of about `sizeMiB` MiB each (512×512 16-bit
 * frames, 2 per MiB), streaming the pixel data from one shared frame, so memory stays at one frame.
 */
export function makeBigInstances(
  dir: string,
  count: number,
  sizeMiB: number,
): { files: string[]; studyInstanceUid: string; seriesInstanceUid: string; instances: GeneratedBigInstance[] } {
  mkdirSync(dir, { recursive: true });
  const frames = Math.max(1, Math.round(sizeMiB * 2));
  const frame = pixels12(512, 512);
  const studyInstanceUid = newUid();
  const seriesInstanceUid = newUid();
  const prefix = `${process.pid}-${++fileCounter}`;
  const instances: GeneratedBigInstance[] = [];
  for (let i = 1; i <= count; i++) {
    const ctx: InstanceContext = {
      patientId: 'BIG1',
      patientName: 'BIG^INSTANCE',
      studyInstanceUid,
      accessionNumber: 'BIG1',
      seriesInstanceUid,
      seriesNumber: 1,
      frameOfReferenceUid: newUid(),
      instanceNumber: i,
      now: new Date(),
    };
    const sopInstanceUid = newUid();
    const sopClassUid = SopClassUid.multiFrameGrayscaleWordSc;
    const dataset: DicomDataset = [
      ...commonAttributes(ctx, sopClassUid, sopInstanceUid, 'OT'),
      { tag: Tag.SeriesDescription, vr: 'LO', value: 'BIG MULTIFRAME' },
      { tag: 0x00080064, vr: 'CS', value: 'WSD' },
      { tag: Tag.ImageType, vr: 'CS', value: ['DERIVED', 'SECONDARY'] },
      { tag: Tag.SamplesPerPixel, vr: 'US', value: 1 },
      { tag: Tag.PhotometricInterpretation, vr: 'CS', value: 'MONOCHROME2' },
      { tag: Tag.NumberOfFrames, vr: 'IS', value: String(frames) },
      // FrameIncrementPointer → (0018,2002) FrameLabelVector is the classic SC choice; (0028,0009) must be present.
      { tag: 0x00280009, vr: 'AT', value: 0x00182002 },
      { tag: 0x00182002, vr: 'SH', value: Array.from({ length: frames }, (_, f) => `F${f + 1}`) },
      { tag: Tag.Rows, vr: 'US', value: 512 },
      { tag: Tag.Columns, vr: 'US', value: 512 },
      { tag: Tag.BitsAllocated, vr: 'US', value: 16 },
      { tag: Tag.BitsStored, vr: 'US', value: 12 },
      { tag: Tag.HighBit, vr: 'US', value: 11 },
      { tag: Tag.PixelRepresentation, vr: 'US', value: 0 },
      { tag: Tag.BurnedInAnnotation, vr: 'CS', value: 'NO' },
    ];
    const path = join(dir, `${prefix}-big-${String(i).padStart(3, '0')}.dcm`);
    const fd = openSync(path, 'w');
    let bytes = 0;
    try {
      const head = Buffer.concat([
        encodeFileMeta(sopClassUid, sopInstanceUid, TransferSyntaxUid.explicit),
        ...encodeDataset(dataset),
        encodeElementHeader(Tag.PixelData, 'OW', frame.length * frames, true),
      ]);
      writeAll(fd, head);
      bytes += head.length;
      for (let f = 0; f < frames; f++) {
        writeAll(fd, frame);
        bytes += frame.length;
      }
    } finally {
      closeSync(fd);
    }
    instances.push({ path, sopClassUid, sopInstanceUid, transferSyntaxUid: TransferSyntaxUid.explicit, bytes });
  }
  return { files: instances.map((i) => i.path), studyInstanceUid, seriesInstanceUid, instances };
}
