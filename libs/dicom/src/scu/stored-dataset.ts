import { FileHandle, open } from 'node:fs/promises';
import { leadingElementsLength } from '../codec/leading-elements';
import { explicitToImplicitLittleEndian } from '../codec/implicit-vr';
import { splitPart10 } from '../codec/part10';
import { DatasetTransform, StoredInstance } from './stored-instance';

/**
 * What dcmjs-dimse sees of a stored instance: its transfer syntax, for negotiation. The hub sends the
 * bytes itself (see sendStoredInstances), so the library never encodes it.
 */
export class StoredDataset {
  constructor(
    private readonly path: string,
    /** The syntax it goes out in: the stored one, or the fall-back the peer accepted (the hub converts). */
    private transferSyntaxUid: string,
  ) {}

  getTransferSyntaxUid(): string {
    return this.transferSyntaxUid;
  }

  /** Makes the library pick the fall-back's context and leave the data set alone (it would transcode it). */
  goesAs(transferSyntaxUid: string): void {
    this.transferSyntaxUid = transferSyntaxUid;
  }

  getDenaturalizedDataset(): Buffer {
    throw new Error(`${this.path} is streamed by the hub, not encoded by dcmjs-dimse`);
  }

  getElement(): undefined {
    return undefined;
  }

  toString(): string {
    return `stored data set ${this.path}`;
  }
}

/** Reads of the stored file: the first one usually holds a small instance whole. */
const FIRST_READ_BYTES = 64 * 1024;
export const READ_BYTES = 1024 * 1024;
/** dcmjs-dimse's own cap when the peer sets no maximum PDU length. */
export const MAX_PDU_BYTES = 4 * 1024 * 1024;

/** A stored instance ready to go: its (transformed) head in memory, the rest still in the file. */
export interface PreparedDataset {
  file: FileHandle;
  /** The data set's first bytes as they go out, transformed when there is a transform. */
  head: Buffer;
  /** Where in the file the bytes after the head start, and how many there are. */
  restOffset: number;
  restLength: number;
}

export async function readAt(file: FileHandle, position: number, length: number, into?: Buffer): Promise<Buffer> {
  const buffer = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) {
      throw new Error(`unexpected end of file at byte ${position + filled}`);
    }
    filled += bytesRead;
  }
  return buffer;
}

export async function prepareDataset(instance: StoredInstance, transform?: DatasetTransform): Promise<PreparedDataset> {
  const file = await open(instance.path, 'r');
  try {
    const first = await file.read(Buffer.allocUnsafe(FIRST_READ_BYTES), 0, FIRST_READ_BYTES, 0);
    // A short read of a regular file is its end: small instances need no stat.
    const size = first.bytesRead < FIRST_READ_BYTES ? first.bytesRead : (await file.stat()).size;
    let prefix: Buffer = first.buffer.subarray(0, first.bytesRead);
    // The meta group is short; re-read with room for it when a file's is not.
    let metaLength = splitPart10Prefix(prefix, size);
    if (metaLength === undefined) {
      prefix = await readAt(file, 0, Math.min(size, 16 * FIRST_READ_BYTES));
      metaLength = splitPart10Prefix(prefix, size);
      if (metaLength === undefined) {
        throw new Error('file meta information is too long');
      }
    }
    const datasetLength = size - metaLength;
    let head = prefix.subarray(metaLength);
    if (transform) {
      // Read on until the head is known: usually at once, as coerced elements come before the pixels.
      let length: number | undefined;
      for (;;) {
        length = leadingElementsLength(
          head,
          instance.transferSyntaxUid,
          transform.belowTag,
          head.length === datasetLength,
        );
        if (length !== undefined) {
          break;
        }
        const more = await readAt(
          file,
          metaLength + head.length,
          Math.min(Math.max(head.length, READ_BYTES), datasetLength - head.length),
        );
        head = Buffer.concat([head, more]);
      }
      const restOffset = metaLength + length;
      return {
        file,
        head: transform.apply(head.subarray(0, length), instance),
        restOffset,
        restLength: size - restOffset,
      };
    }
    return { file, head, restOffset: metaLength + head.length, restLength: datasetLength - head.length };
  } catch (error) {
    await file.close();
    throw error;
  }
}

/**
 * The same data set re-encoded as Implicit VR LE, in memory (the rare case of a peer that accepted only
 * that): the head as prepared (coerced) and the rest of the file, converted together.
 */
export async function asImplicitVr(dataset: PreparedDataset): Promise<PreparedDataset> {
  const rest = dataset.restLength > 0 ? await readAt(dataset.file, dataset.restOffset, dataset.restLength) : undefined;
  const head = explicitToImplicitLittleEndian(rest ? Buffer.concat([dataset.head, rest]) : dataset.head);
  return { file: dataset.file, head, restOffset: dataset.restOffset + dataset.restLength, restLength: 0 };
}

/** Length of the preamble and meta group in a file's first bytes; undefined when they end first. */
function splitPart10Prefix(prefix: Buffer, fileSize: number): number | undefined {
  try {
    return splitPart10(prefix).meta.length;
  } catch (error) {
    if (prefix.length < fileSize && /truncated|no TransferSyntaxUID/.test((error as Error).message)) {
      return undefined;
    }
    throw error;
  }
}
