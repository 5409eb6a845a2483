import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { once } from 'node:events';

/** One part of a multipart/related answer: bytes in memory, then (optionally) a range of a file. */
export interface MultipartPart {
  contentType: string;
  /** Content-Location of the part, e.g. the instance's WADO-RS URL. */
  location?: string;
  head: Buffer;
  file?: { path: string; start: number };
}

export function newBoundary(): string {
  return `iehub-${randomBytes(12).toString('hex')}`;
}

/** `multipart/related; type="…"; boundary=…` for the response's Content-Type. */
export function multipartContentType(type: string, boundary: string): string {
  return `multipart/related; type="${type}"; boundary=${boundary}`;
}

/**
 * Writes the parts to `out` (an HTTP response) as multipart/related (RFC 2387), reading each file as it
 * goes and waiting for the socket to drain, so a study of any size is never held in memory.
 */
export async function writeMultipart(out: Writable, boundary: string, parts: AsyncIterable<MultipartPart>) {
  for await (const part of parts) {
    const headers = [`--${boundary}`, `Content-Type: ${part.contentType}`];
    if (part.location) {
      headers.push(`Content-Location: ${part.location}`);
    }
    await write(out, Buffer.from(`${headers.join('\r\n')}\r\n\r\n`, 'latin1'));
    if (part.head.length > 0) {
      await write(out, part.head);
    }
    if (part.file) {
      for await (const chunk of createReadStream(part.file.path, {
        start: part.file.start,
        highWaterMark: 256 * 1024,
      })) {
        await write(out, chunk as Buffer);
      }
    }
    await write(out, Buffer.from('\r\n', 'latin1'));
  }
  await write(out, Buffer.from(`--${boundary}--\r\n`, 'latin1'));
}

async function write(out: Writable, chunk: Buffer): Promise<void> {
  if (out.destroyed) {
    throw new Error('the client went away');
  }
  if (!out.write(chunk)) {
    await Promise.race([once(out, 'drain'), once(out, 'close')]);
  }
}
