import { TransferSyntax } from '../codec/transfer-syntax';
import { chooseTransferSyntax, isStorageSopClass } from './transfer-syntax-choice';

describe('chooseTransferSyntax', () => {
  it('takes a compressed syntax the sender offers, so the sender never decompresses', () => {
    expect(chooseTransferSyntax([TransferSyntax.JpegLosslessSv1, TransferSyntax.ExplicitVrLittleEndian])).toBe(
      TransferSyntax.JpegLosslessSv1,
    );
  });

  it('prefers explicit over implicit little endian among uncompressed syntaxes', () => {
    expect(chooseTransferSyntax([TransferSyntax.ImplicitVrLittleEndian, TransferSyntax.ExplicitVrLittleEndian])).toBe(
      TransferSyntax.ExplicitVrLittleEndian,
    );
  });

  it('accepts deflate and big endian when nothing else is offered', () => {
    expect(chooseTransferSyntax([TransferSyntax.DeflatedExplicitVrLittleEndian])).toBe(
      TransferSyntax.DeflatedExplicitVrLittleEndian,
    );
    expect(chooseTransferSyntax([TransferSyntax.ExplicitVrBigEndian])).toBe(TransferSyntax.ExplicitVrBigEndian);
  });

  it('ignores NUL padding and refuses syntaxes it does not store (e.g. MPEG2)', () => {
    expect(chooseTransferSyntax(['1.2.840.10008.1.2.1\0'])).toBe(TransferSyntax.ExplicitVrLittleEndian);
    expect(chooseTransferSyntax(['1.2.840.10008.1.2.4.100'])).toBeUndefined();
  });
});

describe('isStorageSopClass', () => {
  it.each([
    ['CT Image Storage', '1.2.840.10008.5.1.4.1.1.2', true],
    ['Basic Text SR', '1.2.840.10008.5.1.4.1.1.88.11', true],
    ['Encapsulated PDF', '1.2.840.10008.5.1.4.1.1.104.1', true],
    ['Key Object Selection', '1.2.840.10008.5.1.4.1.1.88.59', true],
    ['Study Root Q/R Find', '1.2.840.10008.5.1.4.1.2.2.1', false],
    ['Modality Worklist', '1.2.840.10008.5.1.4.31', false],
  ])('%s', (_, uid, expected) => {
    expect(isStorageSopClass(uid)).toBe(expected);
  });
});
