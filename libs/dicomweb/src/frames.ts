import { datasetEncoding } from '@hub/dicom';

interface Element {
  vr: string;
  Value?: unknown[];
}

const uint = (dict: Record<string, Element>, tag: string): number | undefined => {
  const value = dict[tag]?.Value?.[0];
  return value === undefined || value === null || value === '' ? undefined : Number(value);
};

/**
 * The frames of an instance's pixel data as dcmjs read it: native pixel data cut into frames of
 * Rows × Columns × SamplesPerPixel × BitsAllocated / 8 bytes; encapsulated pixel data one compressed
 * bitstream per frame (dcmjs gathers a frame's fragments by the basic offset table; one frame takes them all).
 */
export function framesOf(dict: Record<string, Element>, transferSyntaxUid: string): Buffer[] {
  const pixelData = dict['7FE00010']?.Value?.filter((value): value is ArrayBuffer => value instanceof ArrayBuffer);
  if (!pixelData || pixelData.length === 0) {
    return [];
  }
  const frameCount = Math.max(1, uint(dict, '00280008') ?? 1);
  const encoding = datasetEncoding(transferSyntaxUid);
  const native = !isEncapsulated(transferSyntaxUid) && !encoding.deflated;
  if (native) {
    const all = Buffer.concat(pixelData.map((value) => Buffer.from(value)));
    const rows = uint(dict, '00280010') ?? 0;
    const columns = uint(dict, '00280011') ?? 0;
    const samples = uint(dict, '00280002') ?? 1;
    const bits = uint(dict, '00280100') ?? 8;
    const frameBytes = Math.ceil((rows * columns * samples * bits) / 8);
    if (frameBytes === 0) {
      return [all];
    }
    return Array.from({ length: frameCount }, (_, index) =>
      all.subarray(index * frameBytes, (index + 1) * frameBytes),
    ).filter((frame) => frame.length > 0);
  }
  const fragments = pixelData.map((value) => Buffer.from(value));
  if (frameCount === 1) {
    return [Buffer.concat(fragments)];
  }
  return fragments.slice(0, frameCount);
}

const NATIVE = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99']);

function isEncapsulated(transferSyntaxUid: string): boolean {
  return !NATIVE.has(transferSyntaxUid);
}
