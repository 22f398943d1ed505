/**
 * The HTTP content codings vlrerank undoes (RFC 9110 §8.4): identity, gzip (x-gzip), deflate, br —
 * read from a `Content-Encoding` header, and decoded bounded by a decoded size (zlib stops at the
 * bound: a gzip bomb allocates nothing larger). Shared by request bodies (http/body.ts: sync, small
 * bodies on the main thread) and fetched media (features/media/source.ts: async); each answers a
 * refusal in its own errors. The JSON worker thread decodes the same four in its own source string
 * (util/json-worker-source.ts), which cannot import.
 */
import { promisify } from 'node:util';
import type { Transform } from 'node:stream';
import { brotliDecompress, brotliDecompressSync, createBrotliDecompress, createUnzip, gunzip, gunzipSync, inflate, inflateSync } from 'node:zlib';

export type Coding = 'identity' | 'gzip' | 'deflate' | 'br';

/** The codings vlrerank decodes, as its messages list them. */
export const CODINGS = 'identity, gzip, deflate, br';

/** A header's codings in the order they were applied, lower-cased, blanks dropped (none: identity). */
export function codingsOf(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  return String(header)
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '');
}

/** One coding's name as vlrerank decodes it (`x-gzip` is gzip), or undefined when it does not. */
export function knownCoding(name: string): Coding | undefined {
  if (name === 'identity' || name === 'gzip' || name === 'deflate' || name === 'br') return name;
  return name === 'x-gzip' ? 'gzip' : undefined;
}

/** Past `maxBytes` decoded, zlib throws this code. */
export const isTooLarge = (e: unknown): boolean => (e as { code?: string } | null)?.code === 'ERR_BUFFER_TOO_LARGE';

const sync = { gzip: gunzipSync, deflate: inflateSync, br: brotliDecompressSync };
const async = { gzip: promisify(gunzip), deflate: promisify(inflate), br: promisify(brotliDecompress) };

/** Undo one coding on the calling thread (throws zlib's error; `isTooLarge` past the bound). */
export function decodeSync(coding: Coding, raw: Buffer, maxBytes: number): Buffer {
  return coding === 'identity' || raw.length === 0 ? raw : sync[coding](raw, { maxOutputLength: maxBytes });
}

/** Undo one coding on zlib's thread pool (rejects with zlib's error; `isTooLarge` past the bound). */
export async function decode(coding: Coding, raw: Buffer, maxBytes: number): Promise<Buffer> {
  return coding === 'identity' || raw.length === 0 ? raw : async[coding](raw, { maxOutputLength: maxBytes });
}

/**
 * A stream undoing one coding (a `_bulk` body read as it arrives); undefined for identity. gzip and
 * deflate share zlib's `Unzip`, which reads either header — as the engines' own decoders accept both.
 */
export function decodingStream(coding: Coding): Transform | undefined {
  if (coding === 'identity') return undefined;
  return coding === 'br' ? createBrotliDecompress() : createUnzip();
}
