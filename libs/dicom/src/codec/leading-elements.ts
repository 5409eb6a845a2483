import { ElementReader, MALFORMED } from './element-reader';
import { datasetEncoding } from './transfer-syntax';

/**
 * Byte length of a data set's leading top-level elements with tags below `belowTag`: the part a
 * transform of that scope (the recipient's coercion) reads and changes (elements after it, and the
 * insertion points of absent tags, are all at or past it). `prefix` is the data set's first bytes, `complete` when it is all of
 * it; undefined when the prefix ends before the answer is known. Data sets that coercion leaves alone
 * (deflated, big endian) have an empty head.
 */
export function leadingElementsLength(
  prefix: Buffer,
  transferSyntaxUid: string,
  belowTag: number,
  complete: boolean,
): number | undefined {
  const encoding = datasetEncoding(transferSyntaxUid);
  if (encoding.deflated || !encoding.littleEndian || belowTag === 0) {
    return 0;
  }
  const reader = new ElementReader(prefix, { explicitVr: encoding.explicitVr, littleEndian: true }, complete, {
    lenient: true,
  });
  let position = 0;
  while (position + 4 <= prefix.length) {
    if (reader.tagAt(position) >= belowTag) {
      return position;
    }
    const end = reader.elementEnd(position);
    if (end < 0) {
      // Cut off by the end of the prefix, or malformed: coercion then sees (and judges) all of it.
      return complete || end === MALFORMED ? prefix.length : undefined;
    }
    position = end;
  }
  return complete ? prefix.length : undefined;
}
