import { splitPart10 } from '@hub/dicom';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

/** (0002,0003) Media Storage SOP Instance UID of a Part-10 header (explicit VR little endian, as storescp writes it). */
export function mediaSopInstanceUid(meta: Buffer): string {
  const at = meta.indexOf(Buffer.from([0x02, 0x00, 0x03, 0x00, 0x55, 0x49]));
  return meta.toString('latin1', at + 8, at + 8 + meta.readUInt16LE(at + 6)).replace(/\0+$/, '');
}

/** What storescp wrote into its output directory: each data set, without its Part-10 header, by SOP Instance UID. */
export function receivedDatasets(outputDir: string): Map<string, Buffer> {
  return new Map(
    readdirSync(outputDir)
      .filter((name) => !name.startsWith('.'))
      .map((name) => {
        const parts = splitPart10(readFileSync(path.join(outputDir, name)));
        return [mediaSopInstanceUid(parts.meta), parts.dataset] as const;
      }),
  );
}
