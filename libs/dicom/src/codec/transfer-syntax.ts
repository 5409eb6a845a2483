import { trimUid } from './uid';

export const TransferSyntax = {
  ImplicitVrLittleEndian: '1.2.840.10008.1.2',
  ExplicitVrLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVrLittleEndian: '1.2.840.10008.1.2.1.99',
  /** Retired, but some old modalities still propose it. */
  ExplicitVrBigEndian: '1.2.840.10008.1.2.2',
  JpegBaseline: '1.2.840.10008.1.2.4.50',
  JpegExtended: '1.2.840.10008.1.2.4.51',
  JpegLossless: '1.2.840.10008.1.2.4.57',
  JpegLosslessSv1: '1.2.840.10008.1.2.4.70',
  JpegLsLossless: '1.2.840.10008.1.2.4.80',
  JpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  Jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  Jpeg2000: '1.2.840.10008.1.2.4.91',
  RleLossless: '1.2.840.10008.1.2.5',
} as const;

export type TransferSyntaxUid = (typeof TransferSyntax)[keyof typeof TransferSyntax];

// Which of these the hub accepts, and in what preference, is transfer-syntax-choice.ts.

export interface DatasetEncoding {
  explicitVr: boolean;
  littleEndian: boolean;
  deflated: boolean;
}

// JPIP Referenced Deflate: not accepted, but its data set is deflated like 1.2.1.99.
const JPIP_REFERENCED_DEFLATE = '1.2.840.10008.1.2.4.95';

/**
 * How the data set itself is encoded. PS3.5 §10 encodes every transfer syntax other than implicit
 * VR LE, explicit VR BE and the deflated ones as explicit VR LE (encapsulated pixel data included),
 * so unknown UIDs get that too.
 */
export function datasetEncoding(tsUid: string): DatasetEncoding {
  switch (trimUid(tsUid)) {
    case TransferSyntax.ImplicitVrLittleEndian:
      return { explicitVr: false, littleEndian: true, deflated: false };
    case TransferSyntax.ExplicitVrBigEndian:
      return { explicitVr: true, littleEndian: false, deflated: false };
    case TransferSyntax.DeflatedExplicitVrLittleEndian:
    case JPIP_REFERENCED_DEFLATE:
      return { explicitVr: true, littleEndian: true, deflated: true };
    default:
      return { explicitVr: true, littleEndian: true, deflated: false };
  }
}
