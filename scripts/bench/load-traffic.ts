/**
 * The traffic of `npm run bench:load` (scripts/bench/load.ts): request bodies, closed-loop clients,
 * the open-loop passthrough probe and the health prober. Each can run in the bench's own process
 * (`--in-process`) or in a child process of its own (scripts/bench/load-child.ts, the default), so
 * that a probe's latency is the proxy's and not the time it waited for a saturated load generator's
 * event loop (200 clients parsing answers in one process delayed the probe's sends by seconds).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';

/** The bench's index (BENCH_LOAD_INDEX: a name of one's own on an engine others use too); child processes inherit it. */
export const INDEX = process.env.BENCH_LOAD_INDEX || 'admission-bench-load';
export const SHARED = resolve(import.meta.dirname, '../../../shared');

/** `direct`: the same plain `_search` sent to the engine itself, not through vlrerank (is the engine the slow part?). */
/** `api_probe`: `/v1/rerank` calls sent open-loop by a probe at nice 0 (a 429's latency as a client that is not starved sees it). */
export type Kind = 'plain' | 'direct' | 'reranked' | 'rerank_api' | 'api_probe' | 'health' | 'live';
export interface Sample {
  kind: Kind;
  status: number;
  ms: number;
  retryAfter: boolean;
  /** A reranked search answered with the first-stage order (`x-vlrerank-degraded`). */
  degraded?: string;
  /** A 429's `shed_reason` (admission's refusal reason, from the answer's body). */
  shed?: string;
}

/** The `shed_reason` a 429's body carries (any API shape), for the per-reason figures. */
export const shedReason = (status: number, body: string): { shed?: string } => {
  const m = status === 429 ? /"shed_reason"\s*:\s*"(\w+)"/.exec(body) : null;
  return m ? { shed: m[1]! } : {};
};

/**
 * Texts are new on every request (nothing cached); `seed` keeps the texts of several processes
 * apart (each process numbers its own from seed × 10⁷).
 */
export class Traffic {
  #seq: number;
  constructor(seed = 0) {
    this.#seq = seed * 10_000_000;
  }

  static readonly vocab = ['vitamin', 'bone', 'fracture', 'cohort', 'trial', 'patients', 'risk', 'protein', 'cells', 'mice', 'receptor', 'dose', 'clinical', 'outcome', 'gene', 'tumour', 'insulin', 'virus'];

  newText(): string {
    const s = ++this.#seq;
    return `${s} ${Array.from({ length: 12 }, (_, i) => Traffic.vocab[(s * 7 + i * 5) % Traffic.vocab.length]).join(' ')}`;
  }

  request(kind: Exclude<Kind, 'health' | 'live' | 'direct'>): { path: string; body: string } {
    const q = Traffic.vocab[this.#seq++ % Traffic.vocab.length]!;
    if (kind === 'plain') return { path: `/${INDEX}/_search`, body: JSON.stringify({ size: 10, query: { match: { text: q } } }) };
    if (kind === 'reranked') return { path: `/${INDEX}/_search`, body: JSON.stringify({ size: 10, query: { match: { text: q } }, ext: { vlrerank: { query: `${q} ${this.newText()}` } } }) };
    const photos = Array.from({ length: API_IMAGES }, () => ({ image: this.newPhoto() }));
    return { path: '/v1/rerank', body: JSON.stringify({ query: this.newText(), documents: [...photos, ...Array.from({ length: 20 - photos.length }, () => this.newText())] }) };
  }

  /** A COCO photo as a data: URI, new bytes every time (a few bytes after the JPEG's end: nothing cached, decoded as ever). */
  newPhoto(): string {
    const s = ++this.#seq;
    PHOTOS ??= readdirSync(COCO).filter((f) => f.endsWith('.jpg')).sort().slice(0, 40).map((f) => readFileSync(join(COCO, f)));
    return `data:image/jpeg;base64,${Buffer.concat([PHOTOS[s % PHOTOS.length]!, Buffer.from(String(s))]).toString('base64')}`;
  }
}

/**
 * BENCH_LOAD_API_IMAGES=N (`bench:load --api-images N`): N of each `/v1/rerank` call's 20 documents
 * are photos, so its admitted calls keep the image worker, sharp's threads and the image models busy.
 */
const API_IMAGES = Math.min(20, Number(process.env.BENCH_LOAD_API_IMAGES ?? 0));
const COCO = join(SHARED, 'data/coco-captions-mini/images/val2017');
let PHOTOS: Buffer[] | undefined;

/** A /v1/rerank body just under the 32 MiB JSON limit: 12 texts of 2.6 MiB each. */
export function bigBody(): string {
  const unit = readFileSync(join(SHARED, 'data/scifact-beir/corpus.jsonl'), 'utf8').split('\n', 20).filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text).join(' ');
  const doc = (unit + ' ').repeat(Math.ceil((2.6 * 1048576) / (unit.length + 1))).slice(0, 2.6 * 1048576);
  return JSON.stringify({ query: 'vitamin D and bone fractures', documents: Array.from({ length: 12 }, () => doc), return_documents: false });
}

/** One closed-loop client: a request, its answer, the next (after Retry-After when `honourRetryAfter`). */
export async function client(t: Traffic, pool: Pool, kind: 'reranked' | 'rerank_api', until: number, out: Sample[], honourRetryAfter = false): Promise<void> {
  while (performance.now() < until) {
    const { path, body } = t.request(kind);
    const t0 = performance.now();
    try {
      const r = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body, headersTimeout: 120_000, bodyTimeout: 120_000 });
      const text = await r.body.text();
      const degraded = r.headers['x-vlrerank-degraded'];
      out.push({ kind, status: r.statusCode, ms: performance.now() - t0, retryAfter: r.headers['retry-after'] !== undefined, ...(degraded ? { degraded: String(degraded) } : {}), ...shedReason(r.statusCode, text) });
      const wait = Number(r.headers['retry-after']);
      if (honourRetryAfter && r.statusCode === 429 && wait > 0) await new Promise((res) => setTimeout(res, Math.min(wait * 1000, Math.max(0, until - performance.now()))));
    } catch {
      out.push({ kind, status: 0, ms: performance.now() - t0, retryAfter: false });
    }
  }
}

/**
 * Plain `_search` at a fixed rate, open-loop, on its own connections: request i is due at
 * t0 + i/rate and its latency counts from then, so time a request spent waiting to be sent (a
 * stalled event loop here or there) is in the figure.
 */
export async function passthroughProbe(t: Traffic, url: string, rate: number, until: number, out: Sample[], kind: 'plain' | 'direct' | 'api_probe' = 'plain'): Promise<void> {
  // enough connections that the probe never queues its own requests: with 64, a proxy answering in
  // 1.5 s capped the probe at 43/s, and its own growing queue (10-20 s by the end of a 30 s run)
  // passed for the proxy's latency
  const pool = new Pool(url, { connections: Math.max(64, rate * 60), pipelining: 1 });
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  try {
    for (let i = 0; ; i++) {
      const due = t0 + (i * 1000) / rate;
      if (due >= until) break;
      const delay = due - performance.now();
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const { path, body } = t.request(kind === 'api_probe' ? 'rerank_api' : 'plain');
      inFlight.push(
        pool
          .request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body, headersTimeout: 120_000, bodyTimeout: 120_000 })
          .then(async (r) => {
            const text = await r.body.text();
            out.push({ kind, status: r.statusCode, ms: performance.now() - due, retryAfter: r.headers['retry-after'] !== undefined, ...shedReason(r.statusCode, text) });
          })
          .catch(() => {
            out.push({ kind, status: 0, ms: performance.now() - due, retryAfter: false });
          }),
      );
    }
    await Promise.all(inFlight);
  } finally {
    await pool.close();
  }
}

/** `GET /_vlrerank/health` every 50 ms (closed loop), each answer's time. */
export async function healthProber(url: string, until: number, out: Sample[]): Promise<void> {
  const pool = new Pool(url, { connections: 1 });
  try {
    // full health (which probes every engine node, so its time includes the engine's) and
    // liveness (`?live`: this process's event loop alone), in turn
    for (let i = 0; performance.now() < until; i++) {
      const live = i % 2 === 1;
      const t0 = performance.now();
      const r = await pool.request({ method: 'GET', path: live ? '/_vlrerank/health?live' : '/_vlrerank/health' });
      await r.body.text();
      out.push({ kind: live ? 'live' : 'health', status: r.statusCode, ms: performance.now() - t0, retryAfter: false });
      await new Promise((res) => setTimeout(res, 25));
    }
  } finally {
    await pool.close();
  }
}
