const HEADER_LENGTH = 6;
const P_DATA_TF = 0x04;
/** A-ASSOCIATE-RQ/AC/RJ, P-DATA-TF, A-RELEASE-RQ/RP, A-ABORT (PS3.8 9.3.1). */
const KNOWN_TYPES = new Set([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);

/** A whole PDU; with `piecesForPData`, a P-DATA-TF PDU that spanned chunks comes as its pieces, in order. */
export type FramedPdu = Buffer | Buffer[];
export type FramedPdus = { pdus: FramedPdu[] } | { problem: string };

/**
 * Cuts one connection's byte stream into whole PDUs, in place of dcmjs-dimse's reader, which joins
 * every received chunk onto the PDU so far (Buffer.concat per chunk) and accepts a PDU of any
 * announced length (up to 4 GiB). A PDU that lies within one chunk is returned as a view of it; one
 * spread over chunks is joined once, when complete. A PDU longer than allowed, or of a type that does
 * not exist, is reported before any of it is kept, so the connection can be aborted. A P-DATA-TF PDU
 * that spanned chunks can be had as its pieces instead (views of the chunks), so the data set it
 * carries is never copied: with a 64 KiB socket read and a 64 KiB PDU, that is nearly every one.
 */
export class PduFramer {
  private pieces: Buffer[] = [];
  private held = 0;
  /** Length of the PDU being joined, header included; undefined until its header is complete. */
  private expected?: number;
  private failed = false;

  constructor(
    /** Longest P-DATA-TF PDU accepted (its length field). */
    private readonly maxPDataLength: number,
    /** Longest other PDU accepted: association PDUs are small. */
    private readonly maxOtherLength = 64 * 1024,
    private readonly options: { piecesForPData?: boolean } = {},
  ) {}

  /** The PDUs completed by this chunk, in order; or the problem that ends the connection. */
  push(chunk: Buffer): FramedPdus {
    if (this.failed) {
      return { pdus: [] };
    }
    const pdus: FramedPdu[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.held === 0) {
        // Nothing carried over: read PDUs straight out of the chunk.
        const available = chunk.length - offset;
        if (available < HEADER_LENGTH) {
          this.hold(chunk.subarray(offset));
          break;
        }
        const problem = this.check(chunk[offset], chunk.readUInt32BE(offset + 2));
        if (problem) {
          return this.fail(problem);
        }
        const total = HEADER_LENGTH + chunk.readUInt32BE(offset + 2);
        if (available >= total) {
          pdus.push(chunk.subarray(offset, offset + total));
          offset += total;
          continue;
        }
        this.expected = total;
        this.hold(chunk.subarray(offset));
        break;
      }
      if (this.expected === undefined) {
        const take = Math.min(HEADER_LENGTH - this.held, chunk.length - offset);
        this.hold(chunk.subarray(offset, offset + take));
        offset += take;
        if (this.held < HEADER_LENGTH) {
          break;
        }
        const header = Buffer.concat(this.pieces, HEADER_LENGTH);
        this.pieces = [header];
        const problem = this.check(header[0], header.readUInt32BE(2));
        if (problem) {
          return this.fail(problem);
        }
        this.expected = HEADER_LENGTH + header.readUInt32BE(2);
      }
      const take = Math.min(this.expected - this.held, chunk.length - offset);
      if (take > 0) {
        this.hold(chunk.subarray(offset, offset + take));
        offset += take;
      }
      if (this.held === this.expected) {
        const pieces = this.pieces;
        pdus.push(
          pieces.length === 1
            ? pieces[0]
            : this.options.piecesForPData && pieces[0][0] === P_DATA_TF
              ? pieces
              : Buffer.concat(pieces, this.held),
        );
        this.pieces = [];
        this.held = 0;
        this.expected = undefined;
      }
    }
    return { pdus };
  }

  private hold(piece: Buffer): void {
    this.pieces.push(piece);
    this.held += piece.length;
  }

  private check(type: number, length: number): string | undefined {
    if (!KNOWN_TYPES.has(type)) {
      return `unknown PDU type 0x${type.toString(16).padStart(2, '0')}`;
    }
    // P-DATA-TF carries PDVs up to the negotiated maximum; association PDUs are small.
    const limit = type === P_DATA_TF ? this.maxPDataLength : this.maxOtherLength;
    if (length > limit) {
      return `PDU type 0x${type.toString(16).padStart(2, '0')} of ${length} bytes exceeds the limit of ${limit}`;
    }
    return undefined;
  }

  private fail(problem: string): FramedPdus {
    this.failed = true;
    this.pieces = [];
    this.held = 0;
    return { problem };
  }
}
