import { TransferSyntax } from '../codec/transfer-syntax';

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

/** Every standard Storage SOP class (images, SR, encapsulated documents, presentation states, KOS) lives under this arc. */
const STORAGE_SOP_CLASS_ARC = '1.2.840.10008.5.1.4.1.1.';

export function isStorageSopClass(uid: string): boolean {
  return uid.startsWith(STORAGE_SOP_CLASS_ARC);
}

/** Encapsulated (compressed) syntaxes the hub stores as they come. */
const COMPRESSED: ReadonlySet<string> = new Set([
  TransferSyntax.JpegBaseline,
  TransferSyntax.JpegExtended,
  TransferSyntax.JpegLossless,
  TransferSyntax.JpegLosslessSv1,
  TransferSyntax.JpegLsLossless,
  TransferSyntax.JpegLsNearLossless,
  TransferSyntax.Jpeg2000Lossless,
  TransferSyntax.Jpeg2000,
  TransferSyntax.RleLossless,
]);

const UNCOMPRESSED_PREFERENCE: readonly string[] = [
  TransferSyntax.ExplicitVrLittleEndian,
  TransferSyntax.ImplicitVrLittleEndian,
  TransferSyntax.DeflatedExplicitVrLittleEndian,
  TransferSyntax.ExplicitVrBigEndian,
];

/**
 * Picks the transfer syntax to accept from those proposed. A compressed syntax the sender offers
 * wins (in the sender's order): the sender never decompresses and the hub stores exactly what the
 * modality produced. Otherwise Explicit VR Little Endian, then the other uncompressed ones.
 */
export function chooseTransferSyntax(proposed: string[]): string | undefined {
  const cleaned = proposed.map((uid) => uid.replace(/\0+$/, ''));
  return cleaned.find((uid) => COMPRESSED.has(uid)) ?? UNCOMPRESSED_PREFERENCE.find((uid) => cleaned.includes(uid));
}
