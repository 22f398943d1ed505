/**
 * Reading a remote rerank worker's answer: what it may send and how much of it is read.
 *   - bounded: at most `limit` bytes are read (an answer past it is a worker fault: a worker that
 *     ignores `return_documents: false`, or one gone wrong, cannot fill this process's memory), and
 *     a `Content-Encoding` of gzip / deflate / br is decoded within the same bound;
 *   - checked: `results` must score each document exactly once, with a finite number and an
 *     integer `index` inside the request — anything else (NaN, 1e999, a missing or repeated index,
 *     an index the request does not have, a score that is a string) is a worker fault, failed over,
 *     never a ranking shown as reranked;
 *   - scores outside [0, 1] (Xinference and others return a cross-encoder's raw logits) are read as
 *     logits and mapped through the sigmoid, one answer at a time: the `remote` calibration takes
 *     probabilities and clamps what is outside, which tied every such document and ranked them in
 *     the order they were sent.
 * Never throws anything but VlrerankError (VLR_REMOTE_SCORER).
 */
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { vlrError } from '../../errors.js';
import { isObject } from '../../util/is-object.js';

const DECODERS: Record<string, (buf: Buffer, o: { maxOutputLength: number }) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/** What one answer may be: room for a `{index, relevance_score}` per document and the request once over (a worker that echoes the documents). */
export function answerLimit(requestBytes: number, documents: number): number {
  return 1024 * 1024 + 256 * documents + requestBytes;
}

/** The answer's text, read up to `limit` bytes (decoded). */
export async function readAnswer(origin: string, res: Dispatcher.ResponseData, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        res.body.destroy();
        throw vlrError('VLR_REMOTE_SCORER', `remote rerank worker ${origin} sent an answer larger than ${limit} bytes; not read further`);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'VLR_REMOTE_SCORER') throw e;
    throw vlrError('VLR_REMOTE_SCORER', `remote rerank worker ${origin}: reading the response failed`, { cause: e });
  }
  let buf: Buffer = Buffer.concat(chunks);
  const coding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (coding && coding !== 'identity') {
    const decode = DECODERS[coding];
    if (!decode) throw vlrError('VLR_REMOTE_SCORER', `remote rerank worker ${origin} answered in a Content-Encoding it was not asked for (${coding.slice(0, 40)})`);
    try {
      buf = await decode(buf, { maxOutputLength: limit });
    } catch (e) {
      throw vlrError('VLR_REMOTE_SCORER', `remote rerank worker ${origin} sent a ${coding} answer that does not decode within ${limit} bytes`, { cause: e });
    }
  }
  return buf.toString('utf8');
}

export type Answer = { scores: number[]; model?: string; instructionUsed?: boolean; tokens?: number };

type Json = Record<string, unknown>;

/** The scores of `n` documents from a worker's JSON answer; a VLR_REMOTE_SCORER naming what is wrong otherwise. */
export function parseAnswer(origin: string, text: string, n: number): Answer {
  const fault = (what: string, cause?: unknown) => vlrError('VLR_REMOTE_SCORER', `remote rerank worker ${origin} ${what}`, cause === undefined ? undefined : { cause });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw fault('sent invalid JSON', e);
  }
  if (!isObject(json) || !Array.isArray(json.results)) throw fault('answered without a `results` array');
  const scores = new Array<number>(n).fill(NaN);
  for (const r of json.results as unknown[]) {
    if (!isObject(r)) throw fault('answered a result that is not an object');
    const { index } = r;
    const s = r.relevance_score ?? r.score;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= n) throw fault(`answered index ${JSON.stringify(index)}, not one of the ${n} documents sent`);
    if (typeof s !== 'number' || !Number.isFinite(s)) throw fault(`scored document ${index} with ${typeof s === 'number' ? String(s) : (JSON.stringify(s) ?? 'nothing')}, not a finite number`);
    if (!Number.isNaN(scores[index]!)) throw fault(`scored document ${index} twice`);
    scores[index] = s;
  }
  const missing = scores.reduce((k, s) => k + (Number.isNaN(s) ? 1 : 0), 0);
  if (missing > 0) throw fault(`did not score every document (${missing} of ${n} missing)`);
  const probabilities = scores.every((s) => s >= 0 && s <= 1);
  const meta = isObject(json.meta) ? json.meta : undefined;
  const usage = isObject(json.usage) ? json.usage : undefined;
  const tokens = usage?.total_tokens;
  return {
    scores: probabilities ? scores : scores.map((x) => 1 / (1 + Math.exp(-x))),
    ...(typeof json.model === 'string' ? { model: json.model } : {}),
    // the instruction counts as used only when the worker says so (a vlrerank worker reports it in meta)
    instructionUsed: meta?.instruction_used === true,
    ...(typeof tokens === 'number' && Number.isFinite(tokens) && tokens >= 0 ? { tokens } : {}),
  };
}
