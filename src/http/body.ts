/**
 * Read a request body into memory, bounded (`server.maxJsonBodyBytes`): only bodies vlrerank must
 * look inside are read this way (searches — to know whether to rerank —, single documents at
 * ingest). A gzip/deflate/br body is kept as sent (to forward it unchanged) and decoded for
 * inspection.
 */
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { IncomingMessage } from 'node:http';
import { vlrError } from '../errors.js';

/**
 * The whole body, bounded. Plain 'data'/'end' listeners, not `for await`: the async iterator's
 * machinery (end-of-stream, destroy on exit) was a visible share of a proxied search's CPU.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(vlrError('VLR_BAD_REQUEST', `search body of ${declared} bytes is larger than server.maxJsonBodyBytes (${maxBytes})`, { status: 413 }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        done();
        req.resume();
        reject(vlrError('VLR_BAD_REQUEST', `search body is larger than server.maxJsonBodyBytes (${maxBytes})`, { status: 413 }));
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

/** The body as text for inspection (decoded when compressed); undefined when it cannot be decoded. */
export function decodeBody(req: IncomingMessage, raw: Buffer, maxBytes: number): string | undefined {
  const enc = String(req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  try {
    let buf = raw;
    if (enc === 'gzip' || enc === 'x-gzip') buf = gunzipSync(raw, { maxOutputLength: maxBytes });
    else if (enc === 'deflate') buf = inflateSync(raw, { maxOutputLength: maxBytes });
    else if (enc === 'br') buf = brotliDecompressSync(raw, { maxOutputLength: maxBytes });
    else if (enc !== 'identity' && enc !== '') return undefined;
    return buf.toString('utf8');
  } catch {
    return undefined;
  }
}

/** Read and decode in one: what the search and ingest handlers take. */
export async function readJsonish(req: IncomingMessage, maxBytes: number): Promise<{ raw: Buffer; text: string | undefined }> {
  const raw = await readBody(req, maxBytes);
  return { raw, text: raw.length ? decodeBody(req, raw, maxBytes) : '' };
}
