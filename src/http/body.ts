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
 * Bodies of SMALL_BODY bytes or more are decoded and parsed in the JSON worker the composition
 * root built (`worker` in each reader's deps): nothing proportional to them runs on this thread.
 */
import type { IncomingMessage } from 'node:http';
import { vlrError } from '../errors.js';
import { engineText } from '../util/wire-text.js';
import { CODINGS, codingsOf, decodeSync, isTooLarge, knownCoding, type Coding } from '../util/content-coding.js';
import { parseJsonBounded } from '../util/json-depth.js';
import { SMALL_BODY, type JsonParser, type NdjsonItem, type NdjsonResult, type OffThreadFailure } from '../util/json-worker.js';

export type { Coding };

/** Requests whose body vlrerank refused without reading it: their answer closes the connection. */
const refused = new WeakSet<IncomingMessage>();

/** Was this request's body refused unread (the answer must close the connection)? */
export function bodyRefused(req: IncomingMessage | undefined): boolean {
  return !!req && refused.has(req);
}

/**
 * Bodies read ahead of a decision (a single-document write while the engine is asked which index
 * an alias writes to): whoever takes the request next — the ingest, or the passthrough proxy —
 * takes these bytes, the request's stream being spent. Issue 13: unread during the lookup, the body
 * of a client that hung up after sending it was discarded by Node with the socket, and the write
 * lost where the engine sent it directly stores it.
 */
const readAhead = new WeakMap<IncomingMessage, Promise<Buffer>>();

/**
 * Start reading the body now, bounded as the ingest reads are: only a declared length of at most
 * `maxBytes` (a chunked or larger body stays unread, for the streaming proxy to take whole as
 * before). Rejects when the body is cut short (nothing of it must go upstream).
 */
export function readBodyAhead(req: IncomingMessage, maxBytes: number): void {
  const declared = Number(req.headers['content-length']);
  if (req.headers['transfer-encoding'] !== undefined || !(declared > 0 && declared <= maxBytes) || readAhead.has(req)) return;
  const p = readBody(req, maxBytes);
  p.catch(() => undefined); // awaited by whoever takes the request; not an unhandled rejection meanwhile
  readAhead.set(req, p);
}

/** The body read ahead of this request, if it was (readBodyAhead). */
export function bodyReadAhead(req: IncomingMessage): Promise<Buffer> | undefined {
  return readAhead.get(req);
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
  const codings = codingsOf(req.headers['content-encoding']);
  if (codings.length === 0) return 'identity';
  if (codings.length > 1) {
    throw vlrError('VLR_UNSUPPORTED_ENCODING', `Content-Encoding [${codings.join(', ')}] stacks several codings; send one of ${CODINGS}`, { details: { header: 'content-encoding' } });
  }
  const c = knownCoding(codings[0]!);
  if (c) return c;
  throw vlrError('VLR_UNSUPPORTED_ENCODING', `Content-Encoding [${codings[0]}] is not supported; send one of ${CODINGS}`, { details: { header: 'content-encoding' } });
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

/** `application/json` or a `+json` type (`application/vnd.api+json`), parameters allowed. */
const JSON_TYPE = /^\s*application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * Throws 415 unless the body is declared JSON. A browser page of any origin may POST `text/plain`, a
 * form or a typeless Blob without asking first (no CORS preflight): read as JSON anyway, the rerank
 * APIs ran whatever work a page a visitor opened asked for (held-out probe round 21c). The engines
 * refuse those types on their own APIs (406), TEI does (415); a real client sends
 * `application/json`. A request without a body is left to the API (its own 400).
 */
export function checkJsonType(req: IncomingMessage): void {
  const ct = req.headers['content-type'];
  if (ct !== undefined && JSON_TYPE.test(ct)) return;
  if (req.headers['transfer-encoding'] === undefined && !(Number(req.headers['content-length']) > 0)) return; // no body: nothing read as anything
  throw vlrError('VLR_CONTENT_TYPE', ct === undefined ? 'the request body has no Content-Type; send it as application/json' : `Content-Type [${ct.slice(0, 100)}] is not supported; send the body as application/json`, { details: { header: 'content-type' } });
}

/**
 * The whole body, bounded. Plain 'data'/'end' listeners, not `for await`: the async iterator's
 * machinery (end-of-stream, destroy on exit) was a visible share of a proxied search's CPU.
 * Each chunk is copied as it arrives into one buffer of our own, grown by doubling up to 1 MiB and
 * then to the declared length at once (a client declaring 32 MiB and sending nothing holds 64 KiB):
 * no single copy of the whole body at the end (a 31 MiB Buffer.concat held the event loop ~30 ms
 * on a loaded machine; doubling copies up to 16 MiB showed in the profile too), and the result owns
 * its ArrayBuffer from offset 0, so the JSON worker can take it without a copy. A chunked body
 * (no declared length) keeps doubling.
 */
export { SMALL_BODY } from '../util/json-worker.js';
const JUMP_AFTER = 1024 * 1024;

export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(req, maxBytes, `of ${declared} bytes`));
  const bound = Number.isFinite(declared) ? declared : maxBytes;
  // gone before a byte was taken (a client that hung up while an earlier step ran): no `close` will come
  if (req.destroyed && !req.readableEnded) return Promise.reject(new Error('the client closed the connection before its body was read'));
  return new Promise((resolve, reject) => {
    let buf: Buffer | undefined;
    let total = 0;
    const onData = (chunk: Buffer) => {
      if (total + chunk.length > maxBytes) {
        done();
        req.pause(); // read no more: the answer closes the connection
        reject(tooLarge(req, maxBytes, `(chunked, past ${maxBytes} bytes so far)`));
        return;
      }
      if (!buf && chunk.length === declared && chunk.length < SMALL_BODY) {
        buf = chunk; // the whole small body in one chunk: kept as it came (the proxied search's hot path)
      } else if (!buf || total + chunk.length > buf.length) {
        let size = Math.max(buf?.length ?? 0, 64 * 1024);
        while (size < total + chunk.length) size *= 2;
        // past 1 MiB received, a declared length is believed: the rest in one allocation, so no
        // copy larger than 1 MiB happens on the way (a client makes us hold at most 32× what it sent)
        if (size > JUMP_AFTER && Number.isFinite(declared)) size = declared;
        const grown = Buffer.allocUnsafeSlow(Math.min(Math.max(size, total + chunk.length), Math.max(bound, total + chunk.length)));
        if (buf) buf.copy(grown, 0, 0, total);
        buf = grown;
      }
      chunk.copy(buf, total);
      total += chunk.length;
    };
    const onEnd = () => {
      done();
      resolve(buf ? buf.subarray(0, total) : Buffer.alloc(0));
    };
    const onError = (e: Error) => {
      done();
      if (whole()) resolve(buf ? buf.subarray(0, total) : Buffer.alloc(0));
      else reject(e);
    };
    const onClose = () => {
      if (!req.readableEnded) onError(new Error('the client closed the connection before sending the whole body'));
    };
    // the whole declared body came, then the client hung up before Node emitted `end`: the
    // request is complete (Node aborts it only because its stream had not ended yet)
    const whole = () => Number.isFinite(declared) && total === declared;
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
  try {
    return decodeSync(coding, raw, maxBytes);
  } catch (e) {
    if (isTooLarge(e)) {
      throw vlrError('VLR_BODY_TOO_LARGE', `request body decompresses to more than server.maxJsonBodyBytes (${maxBytes} bytes)`, { details: { max_bytes: maxBytes } });
    }
    throw vlrError('VLR_BODY_DECODE', `request body is not valid ${coding} (Content-Encoding: ${coding}): ${(e as Error).message}`, { details: { header: 'content-encoding' } });
  }
}

/**
 * A search body: read and checked; a body under SMALL_BODY decoded here, a larger one decoded and
 * (when it holds a marker word, or `always`) depth-checked and parsed in the JSON worker, its raw
 * bytes handed back to be forwarded as sent. Not JSON is not an error here (the engine says so).
 */
export async function readSearchBody(
  req: IncomingMessage,
  o: { maxBytes: number; maxDepth: number; markers: readonly string[]; always: boolean; worker: JsonParser },
): Promise<{ raw: Buffer; text: string | undefined; parsed?: { hasMarker: boolean; value: unknown } }> {
  const coding = checkHeaders(req);
  const raw = await (readAhead.get(req) ?? readBody(req, o.maxBytes));
  if (raw.length < SMALL_BODY) return { raw, text: decodeText(req, coding, raw, o.maxBytes) };
  const r = await o.worker.parse(raw, { coding, maxBytes: o.maxBytes, maxDepth: o.maxDepth, markers: o.markers, always: o.always, giveBack: true, owned: true });
  if (!r.ok && r.kind !== 'syntax') throw workerError(r, coding, o.maxBytes, o.maxDepth);
  const back = r.bytes ?? raw;
  if (!r.ok) return { raw: back, text: undefined, parsed: { hasMarker: true, value: undefined } };
  return { raw: back, text: undefined, parsed: { hasMarker: r.hasMarker, value: r.parsed ? r.value : undefined } };
}

/**
 * A single document written at ingest (`_doc`, `_create`, `_update`): read like a search body and,
 * from SMALL_BODY bytes, always parsed in the JSON worker (`parsed.value` undefined: not JSON,
 * the engine says so); the raw bytes come back to be forwarded as sent when nothing is added.
 */
export function readDocumentBody(req: IncomingMessage, o: { maxBytes: number; maxDepth: number; worker: JsonParser }) {
  return readSearchBody(req, { ...o, markers: [], always: true });
}

/**
 * An `_msearch` body: under SMALL_BODY decoded here (search/msearch.ts splits it); from SMALL_BODY,
 * when it holds a marker word or `always`, split into items and parsed in the JSON worker (`ndjson`:
 * `items` undefined when the NDJSON breaks a rule — the engine reports it). Too deep, a bad coding
 * or a bomb: the same errors as the other readers.
 */
export async function readMsearchBody(
  req: IncomingMessage,
  o: { maxBytes: number; maxDepth: number; markers: readonly string[]; always: boolean; worker: JsonParser },
): Promise<{ raw: Buffer; text: string | undefined; ndjson?: { hasMarker: boolean; items: NdjsonItem[] | undefined } }> {
  const coding = checkHeaders(req);
  const raw = await readBody(req, o.maxBytes);
  if (raw.length < SMALL_BODY) return { raw, text: decodeText(req, coding, raw, o.maxBytes) };
  const r: NdjsonResult = await o.worker.ndjson(raw, { coding, maxBytes: o.maxBytes, maxDepth: o.maxDepth, markers: o.markers, always: o.always, giveBack: true, owned: true });
  if (!r.ok && r.kind !== 'syntax') throw workerError(r, coding, o.maxBytes, o.maxDepth);
  const back = r.bytes ?? raw;
  if (!r.ok) return { raw: back, text: undefined, ndjson: { hasMarker: true, items: undefined } };
  return { raw: back, text: undefined, ndjson: { hasMarker: r.hasMarker, items: r.parsed ? r.items : undefined } };
}

/** The body as text, its content coding undone ('' for an empty body). */
function decodeText(req: IncomingMessage, coding: Coding, raw: Buffer, maxBytes: number): string {
  // read as the engine reads it: a Python client's lone surrogate kept (util/wire-text.ts)
  return raw.length ? engineText(decodeBody(req, coding, raw, maxBytes)) : '';
}

/** A refusal from the JSON worker as the same error the main-thread reader gives. */
function workerError(r: OffThreadFailure, coding: Coding, maxBytes: number, maxDepth: number): Error {
  switch (r.kind) {
    case 'too_large':
      return vlrError('VLR_BODY_TOO_LARGE', `request body decompresses to more than server.maxJsonBodyBytes (${maxBytes} bytes)`, { details: { max_bytes: maxBytes } });
    case 'decode':
      return vlrError('VLR_BODY_DECODE', `request body is not valid ${coding} (Content-Encoding: ${coding}): ${r.message}`, { details: { header: 'content-encoding' } });
    case 'deep':
      return vlrError('VLR_JSON_TOO_DEEP', `the JSON body nests deeper than ${maxDepth} levels (server.maxJsonDepth)`, { details: { max_depth: maxDepth } });
    case 'syntax':
      return vlrError('VLR_PARSE', `request body is not valid JSON: ${r.message}`);
    default:
      return vlrError('VLR_INTERNAL', `the JSON worker failed (${r.message}); send the request again`, { status: 503 });
  }
}

/** The coding and charset checks before any byte is read; a refusal closes the connection after the answer. */
function checkHeaders(req: IncomingMessage, checkType?: (req: IncomingMessage) => void): Coding {
  try {
    checkType?.(req);
    const coding = contentCoding(req);
    checkCharset(req);
    return coding;
  } catch (e) {
    refused.add(req); // refused before its body: close after the answer rather than read it
    throw e;
  }
}

/**
 * A JSON body parsed after the depth check (the rerank APIs); undefined when the body is empty.
 * A body of SMALL_BODY bytes or more is decoded and parsed in the JSON worker (util/json-worker.ts)
 * with the same rules and the same errors: nothing proportional to it runs on the main thread.
 */
export async function readJson(req: IncomingMessage, limits: { maxBytes: number; maxDepth: number; worker: JsonParser }): Promise<unknown> {
  const coding = checkHeaders(req, checkJsonType);
  const raw = await readBody(req, limits.maxBytes);
  if (raw.length >= SMALL_BODY) {
    const r = await limits.worker.parse(raw, { coding, maxBytes: limits.maxBytes, maxDepth: limits.maxDepth, always: true, owned: true });
    if (!r.ok) throw workerError(r, coding, limits.maxBytes, limits.maxDepth);
    return r.parsed ? r.value : undefined;
  }
  const text = decodeText(req, coding, raw, limits.maxBytes);
  if (text.trim() === '') return undefined;
  try {
    return parseJsonBounded(text, limits.maxDepth);
  } catch (e) {
    if (e instanceof SyntaxError) throw vlrError('VLR_PARSE', `request body is not valid JSON: ${e.message}`);
    throw e;
  }
}
