/**
 * Follows PDU boundaries on the raw byte stream, ahead of dcmjs-dimse, which would otherwise
 * concatenate a PDU of any announced length (up to 4 GiB) into memory. A PDU longer than allowed
 * is reported so the connection can be aborted before the library sees it.
 */
export class PduGuard {
  private header = Buffer.alloc(6);
  private headerFill = 0;
  private remaining = 0;

  constructor(
    private readonly maxPduLength: number,
    private readonly maxAssociateLength = 64 * 1024,
  ) {}

  /** Returns a problem description when the chunk starts an oversize PDU, else undefined. */
  inspect(chunk: Buffer): string | undefined {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining > 0) {
        const skip = Math.min(this.remaining, chunk.length - offset);
        this.remaining -= skip;
        offset += skip;
        continue;
      }
      const take = Math.min(6 - this.headerFill, chunk.length - offset);
      chunk.copy(this.header, this.headerFill, offset, offset + take);
      this.headerFill += take;
      offset += take;
      if (this.headerFill < 6) {
        break;
      }
      this.headerFill = 0;
      const type = this.header[0];
      const length = this.header.readUInt32BE(2);
      // P-DATA-TF carries PDVs up to the negotiated maximum; association PDUs are small.
      const limit = type === 0x04 ? this.maxPduLength : this.maxAssociateLength;
      if (length > limit) {
        return `PDU type 0x${type.toString(16).padStart(2, '0')} of ${length} bytes exceeds the limit of ${limit}`;
      }
      this.remaining = length;
    }
    return undefined;
  }
}
