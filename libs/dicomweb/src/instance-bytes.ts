import { leadingElementsLength, splitPart10 } from '@hub/dicom';
import { CoercionContext, CoercionRule, applyCoercion, coercionScope } from '@hub/coercion';
import { open, readFile } from 'node:fs/promises';

/** The first read of a stored file: its meta group and, usually, every element a coercion touches. */
const FIRST_READ_BYTES = 64 * 1024;

/**
 * A stored instance as it goes out: `head` (the file's preamble and meta group, then the data set's leading
 * elements with the recipient's coercion applied) in memory, and the rest still in the file from `restStart`.
 * Without coercion rules the head is the file's first bytes unchanged, so the whole is the stored file.
 */
export interface OutgoingInstance {
  head: Buffer;
  restStart: number;
  size: number;
}

export async function prepareInstance(
  path: string,
  transferSyntaxUid: string,
  rules: CoercionRule[],
  context: CoercionContext,
): Promise<OutgoingInstance> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const first = Buffer.alloc(Math.min(size, FIRST_READ_BYTES));
    await file.read(first, 0, first.length, 0);
    if (rules.length === 0) {
      return { head: first.subarray(0, 0), restStart: 0, size };
    }
    let whole = first.length === size ? first : undefined;
    let parts = splitPart10(first);
    let headLength = leadingElementsLength(parts.dataset, transferSyntaxUid, coercionScope(rules), whole !== undefined);
    if (headLength === undefined) {
      // The coerced elements reach past the first read: a rare, large header; read it all.
      whole = await readFile(path);
      parts = splitPart10(whole);
      headLength = leadingElementsLength(parts.dataset, transferSyntaxUid, coercionScope(rules), true) ?? 0;
    }
    const coerced = applyCoercion(parts.dataset.subarray(0, headLength), transferSyntaxUid, rules, context);
    return {
      head: Buffer.concat([parts.meta, coerced.dataset]),
      restStart: parts.meta.length + headLength,
      size,
    };
  } finally {
    await file.close();
  }
}

/** The whole instance as it goes out, in memory (metadata, frames): the stored file with the coercion applied. */
export async function readOutgoingInstance(
  path: string,
  transferSyntaxUid: string,
  rules: CoercionRule[],
  context: CoercionContext,
): Promise<Buffer> {
  const file = await readFile(path);
  if (rules.length === 0) {
    return file;
  }
  const parts = splitPart10(file);
  return Buffer.concat([parts.meta, applyCoercion(parts.dataset, transferSyntaxUid, rules, context).dataset]);
}
