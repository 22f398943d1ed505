/**
 * Read a request body into memory, strictly and bounded: only bodies vlrerank must look inside are
 * read this way (searches — to know whether to rerank —, single documents at ingest, the rerank
 * APIs). Passthrough bodies never come here: they stream untouched and unbounded.
 *
 * The rules (issue 13), each a 4xx in the API's own shape, never a 500:
 *   - one `Content-Encoding` of identity, gzip (x-gzip), deflate or br; anything else, or codings
 *     stacked (`gzip, gzip`), is 415; a body that is not what its coding says is 400;
 *   - a `charset` other than utf-8 (or its subset us-ascii) is 415;
 *   - a declared `Content-Length` over server.maxJsonBodyBytes is 413 at once, before a byte of the
 *     body is read; a chunked body is 413 the moment it crosses the limit; so is a body whose
 *     decompressed size would (gzip bombs: zlib stops at the limit, nothing larger is allocated).
 * A refused body is not read: the answer goes out with `Connection: close` and the socket lingers
 * (linger.ts) so that the client reads the 413 instead of a reset.
 * A gzip/deflate/br body is kept as sent (to forward it unchanged) and decoded for inspection.
 */
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { IncomingMessage } from 'node:http';
import { vlrError } from '../errors.js';
import { parseJsonBounded } from '../util/json-depth.js';

export type Coding = 'identity' | 'gzip' | 'deflate' | 'br';

/** Requests whose body vlrerank refused without reading it: their answer closes the connection. */
const refused = new WeakSet<IncomingMessage>();

/** Was this request's body refused unread (the answer must close the connection)? */
export function bodyRefused(req: IncomingMessage | undefined): boolean {
  return !!req && refused.has(req);
}

/** Bodies at most this large are drained after an early answer (keeps the connection); larger ones close it. */
const DRAIN_UNREAD_MAX = 64 * 1024;

/**
 * The request is answered without reading its body (e.g. a 429 decided from the headers). Node
 * drains a small unread body itself after the answer, keeping the connection; a large or chunked
 * one is not worth reading: mark it so the answer closes the connection.
 */
export function answerUnread(req: IncomingMessage): void {
  const declared = Number(req.headers['content-length']);
  if (req.headers['transfer-encoding'] !== undefined || !(declared <= DRAIN_UNREAD_MAX)) refused.add(req);
}

function tooLarge(req: IncomingMessage, maxBytes: number, what: string) {
  refused.add(req);
  return vlrError('VLR_BODY_TOO_LARGE', `request body ${what} is larger than server.maxJsonBodyBytes (${maxBytes} bytes)`, { details: { max_bytes: maxBytes } });
}

/** The body's one content coding; throws 415 for an unknown coding or several stacked. */
export function contentCoding(req: IncomingMessage): Coding {
  const raw = req.headers['content-encoding'];
  if (raw === undefined) return 'identity';
  const codings = String(raw)
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '');
  if (codings.length === 0) return 'identity';
  if (codings.length > 1) {
    throw vlrError('VLR_UNSUPPORTED_ENCODING', `Content-Encoding [${codings.join(', ')}] stacks several codings; send one of identity, gzip, deflate, br`, { details: { header: 'content-encoding' } });
  }
  const c = codings[0]!;
  if (c === 'identity' || c === 'gzip' || c === 'deflate' || c === 'br') return c;
  if (c === 'x-gzip') return 'gzip';
  throw vlrError('VLR_UNSUPPORTED_ENCODING', `Content-Encoding [${c}] is not supported; send one of identity, gzip, deflate, br`, { details: { header: 'content-encoding' } });
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/** Throws 415 when the Content-Type names a charset other than utf-8 (us-ascii, its subset, is fine). */
export function checkCharset(req: IncomingMessage): void {
  const ct = req.headers['content-type'];
  if (!ct) return;
  const m = CHARSET.exec(ct);
  if (!m) return;
  const cs = m[1]!.toLowerCase();
  if (cs === 'utf-8' || cs === 'utf8' || cs === 'us-ascii') return;
  throw vlrError('VLR_UNSUPPORTED_ENCODING', `charset [${m[1]}] is not supported; JSON bodies must be utf-8`, { details: { header: 'content-type' } });
}

/**
 * The whole body, bounded. Plain 'data'/'end' listeners, not `for await`: the async iterator's
 * machinery (end-of-stream, destroy on exit) was a visible share of a proxied search's CPU.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(req, maxBytes, `of ${declared} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        done();
        req.pause(); // read no more: the answer closes the connection
        reject(tooLarge(req, maxBytes, `(chunked, past ${maxBytes} bytes so far)`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onError = (e: Error) => {
      done();
      reject(e);
    };
    const onClose = () => {
      if (!req.readableEnded) onError(new Error('the client closed the connection before sending the whole body'));
    };
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** The body decoded per its coding, bounded by `maxBytes` decompressed; 400 when it is not what the coding says, 413 past the bound. */
export function decodeBody(req: IncomingMessage, coding: Coding, raw: Buffer, maxBytes: number): Buffer {
  if (coding === 'identity' || raw.length === 0) return raw;
  try {
    if (coding === 'gzip') return gunzipSync(raw, { maxOutputLength: maxBytes });
    if (coding === 'deflate') return inflateSync(raw, { maxOutputLength: maxBytes });
    return brotliDecompressSync(raw, { maxOutputLength: maxBytes });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw vlrError('VLR_BODY_TOO_LARGE', `request body decompresses to more than server.maxJsonBodyBytes (${maxBytes} bytes)`, { details: { max_bytes: maxBytes } });
    }
    throw vlrError('VLR_BODY_DECODE', `request body is not valid ${coding} (Content-Encoding: ${coding}): ${(e as Error).message}`, { details: { header: 'content-encoding' } });
  }
}

/** Read, check and decode in one: what the search and ingest handlers take (the raw bytes are forwarded as sent). */
export async function readJsonish(req: IncomingMessage, maxBytes: number): Promise<{ raw: Buffer; text: string }> {
  let coding: Coding;
  try {
    coding = contentCoding(req);
    checkCharset(req);
  } catch (e) {
    refused.add(req); // refused before its body: close after the answer rather than read it
    throw e;
  }
  const raw = await readBody(req, maxBytes);
  return { raw, text: raw.length ? decodeBody(req, coding, raw, maxBytes).toString('utf8') : '' };
}

/** A JSON body parsed after the depth check (the rerank APIs); undefined when the body is empty. */
export async function readJson(req: IncomingMessage, limits: { maxBytes: number; maxDepth: number }): Promise<unknown> {
  const { text } = await readJsonish(req, limits.maxBytes);
  if (text.trim() === '') return undefined;
  try {
    return parseJsonBounded(text, limits.maxDepth);
  } catch (e) {
    if (e instanceof SyntaxError) throw vlrError('VLR_PARSE', `request body is not valid JSON: ${e.message}`);
    throw e;
  }
}
