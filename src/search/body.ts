/**
 * Read a request body into memory, bounded (`server.maxJsonBodyBytes`): only search bodies are read
 * this way — we must look inside them to know whether to rerank. A gzip/deflate/br body is kept
 * as sent (to forward it unchanged) and decoded for inspection.
 */
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { Request } from 'express';
import { vlrError } from '../errors.js';

export function hasBody(req: Request): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

export async function readBody(req: Request, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw vlrError('VLR_BAD_REQUEST', `search body of ${declared} bytes is larger than server.maxJsonBodyBytes (${maxBytes})`, { status: 413 });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      req.resume();
      throw vlrError('VLR_BAD_REQUEST', `search body is larger than server.maxJsonBodyBytes (${maxBytes})`, { status: 413 });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** The body as text for inspection (decoded when compressed); undefined when it cannot be decoded. */
export function decodeBody(req: Request, raw: Buffer, maxBytes: number): string | undefined {
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
