/**
 * The `remote` scorer backend: a rerank server reached over HTTP — Qwen3-VL-Reranker served by vLLM,
 * SGLang or Xinference, a Jina/Cohere-style server, or another vlrerank acting as a GPU worker —
 * through the Cohere-compatible `POST /v1/rerank`. Text-only items go as strings; items with an
 * image or video go as OpenAI-style content parts
 * `{"content":[{"type":"text","text":…},{"type":"image_url","image_url":{"url":…}},{"type":"video_url","video_url":{"url":…}}]}`.
 *
 * Media go as something the worker can read: http(s) URLs as they are, local files and uploads as
 * size-bounded data: URIs (remote-media.ts) — never a path of this machine's disk.
 *
 * One undici Pool per worker (keep-alive, pipelining off) inside a WorkerPool (remote-pool.ts:
 * least outstanding, circuit breakers, hedge delay). A call gets the request's remaining budget
 * (its time-out, and the `x-vlrerank-budget-ms` header); on a connection failure, a time-out or a
 * 5xx it fails over to the next worker within that budget, and a slow call is hedged to a second
 * worker. Its scores are one calibrated signal (`remote`) like any other; the instruction is sent
 * as `instruction` and counts as used only when the worker confirms it (`meta.instruction_used`).
 * undici errors become VLR_REMOTE_SCORER here, nowhere else. What an answer may be (bounded, each
 * document scored once with a finite number; logits mapped to probabilities) is remote-answer.ts;
 * a worker's refusal names the setting to check, a 429/503's `Retry-After` keeps it out that long,
 * and the API key is taken out of anything a worker says back.
 */
import { retryAfterDelayMs } from '../../util/retry-after.js';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Pool } from 'undici';
import { vlrError, isVlrerankError } from '../../errors.js';
import type { RemoteScoreRequest, RemoteScorerPort } from '../ports.js';
import { largestInlined, toRemoteItem, tooLargeForWorker, workerDocuments, workerItem, type RemoteMediaOptions } from './remote-media.js';
export { toRemoteItem } from './remote-media.js';
import { WorkerPool, type RemoteWorker } from './remote-pool.js';
import { answerLimit, parseAnswer, readAnswer, type Answer } from './remote-answer.js';

export interface RemoteScorerOptions {
  /** Base URLs of the workers (`http://gpu-1:8000`) or full `…/v1/rerank` URLs. */
  urls: string[];
  model?: string;
  apiKey?: string;
  timeoutMs?: number;
  connections?: number;
  /** Failures in a row that open a worker's circuit breaker (default 3). */
  breakerThreshold?: number;
  /** How long an open breaker keeps a worker out before one trial call (default 5 s, doubling). */
  breakerCooldownMs?: number;
  /** Hedge a call after this many ms (0 = never); default: the `hedgePercentile` of recent latencies. */
  hedgeAfterMs?: number;
  /** Latency percentile after which a call is hedged when `hedgeAfterMs` is not set (default 0.95). */
  hedgePercentile?: number;
  /** Probe workers with an open breaker this often (ms, 0 = never; default 2 s). */
  healthIntervalMs?: number;
  /** How local media and uploads are sent (as size-bounded data: URIs). */
  media?: RemoteMediaOptions;
  /** https workers: PEM files of the CA that signed their certificates, a client certificate and key (mutual TLS). */
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
}

function readPem(path: string | undefined, what: string): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw vlrError('VLR_CONFIG_INVALID', `rerank.remote.tls.${what}: cannot read ${path}: ${(e as Error).message}`);
  }
}

/** `tokens`: the worker's own `usage.total_tokens`, when it reports a number. */
type CallResult = Answer;

/** Errors that say the request, not the worker, is wrong: trying elsewhere would not help. */
function notRetryable(e: unknown): boolean {
  return isVlrerankError(e) && e.details.retryable === false;
}

/** How long a worker asked to be left alone (its 429/503 `Retry-After`), by the error that carried it. */
const RESTS = new WeakMap<object, number>();

/** A `Retry-After` in ms when it says something usable (an HTTP date read against the answer's `Date`). */
function retryAfterMs(v: string | string[] | undefined, date: string | string[] | undefined): number | undefined {
  const ms = retryAfterDelayMs(v, date);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

export class RemoteScorer implements RemoteScorerPort {
  readonly id: string;
  readonly #pool: WorkerPool;
  readonly #opts: RemoteScorerOptions;
  /** The API key and URL credentials: taken out of anything a worker says back. */
  readonly #secrets: string[] = [];

  constructor(opts: RemoteScorerOptions) {
    if (opts.urls.length === 0) throw vlrError('VLR_CONFIG_INVALID', 'rerank.remote.urls must list at least one worker');
    this.#opts = opts;
    const timeout = opts.timeoutMs ?? 30_000;
    const tls = opts.tls ?? {};
    const [ca, cert, key] = (['ca', 'cert', 'key'] as const).map((k) => readPem(tls[k], k));
    const workers = opts.urls.map((u) => {
      const url = new URL(u);
      const base = url.pathname.replace(/\/+$/, '');
      const path = /\/rerank$/.test(base) ? base : `${base}/v1/rerank`;
      // credentials in the URL (`https://user:pass@gpu-1`) are sent as Basic auth, as upstream.urls' are; never part of its name
      const basic = url.username || url.password ? Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64') : undefined;
      if (basic) this.#secrets.push(basic, decodeURIComponent(url.password));
      const connect = url.protocol === 'https:' ? { ca, cert, key, rejectUnauthorized: tls.rejectUnauthorized ?? true, ...(isIP(url.hostname.replace(/^\[|\]$/g, '')) ? {} : { servername: url.hostname }) } : undefined;
      const pool = new Pool(url.origin, { connections: opts.connections ?? 16, headersTimeout: timeout, bodyTimeout: timeout, connectTimeout: Math.min(timeout, 5_000), ...(connect ? { connect } : {}) });
      return { origin: url.origin, path, pool, ...(basic ? { authorization: `Basic ${basic}` } : {}) };
    });
    if (opts.apiKey) this.#secrets.push(opts.apiKey);
    this.#pool = new WorkerPool(workers, {
      breakerThreshold: opts.breakerThreshold ?? 3,
      breakerCooldownMs: opts.breakerCooldownMs ?? 5_000,
      hedgeAfterMs: opts.hedgeAfterMs,
      hedgePercentile: opts.hedgePercentile ?? 0.95,
      healthIntervalMs: opts.healthIntervalMs ?? 2_000,
    });
    this.id = `remote:${workers.map((w) => w.origin).join(',')}`;
  }

  /**
   * The error of a call that got no answer. Every worker out (breakers open, or each tried asked for
   * a rest) is a 503 with `Retry-After` until the first is back — the client can wait rather than
   * retry at once; otherwise a 502 naming every worker tried and why.
   */
  #failure(lastErr: unknown, failures: string[], rested: boolean) {
    const back = this.#pool.soonestBackMs();
    const unavailable = (reason: string, cause?: unknown) =>
      vlrError('VLR_REMOTE_SCORER', reason, { status: 503, ...(cause ? { cause } : {}), details: { retryable: true, ...(back !== undefined ? { retry_after_s: Math.max(1, Math.ceil(back / 1000)) } : {}) } });
    // nothing was sent although a worker could take it: the budget was spent (the media took it) or the caller left
    if (lastErr === undefined && back === undefined) return vlrError('VLR_TIMEOUT', 'the remote rerank call had no time left in its budget (or its caller left) before a worker was asked');
    if (lastErr === undefined) return unavailable(`no remote rerank worker is available: every circuit breaker is open (${this.#outOfService()})`);
    if (rested && back !== undefined) return unavailable(`every remote rerank worker asked for time (429/503 with Retry-After): ${failures.join('; ')}`, lastErr);
    if (failures.length > 1) {
      // every worker tried failed: name each, not only the last one
      return vlrError('VLR_REMOTE_SCORER', `all ${failures.length} remote rerank workers tried failed: ${failures.join('; ')}`, {
        cause: lastErr,
        details: { retryable: isVlrerankError(lastErr) ? lastErr.details.retryable !== false : true },
      });
    }
    return isVlrerankError(lastErr) ? lastErr : vlrError('VLR_REMOTE_SCORER', 'remote rerank failed', { cause: lastErr });
  }

  /** Why each worker is out, for the error of a call none could take. */
  #outOfService(): string {
    return this.#pool
      .status()
      .map((s) => `${s.worker} ${s.state}${s.retry_in_ms !== undefined ? ` for ${Math.ceil(s.retry_in_ms / 1000)} s more` : ''}${s.last_error ? ` after: ${s.last_error.slice(0, 120)}` : ''}`)
      .join('; ');
  }

  /** Each worker's breaker state and outstanding calls (for health). */
  status() {
    return this.#pool.status();
  }

  async score(req: RemoteScoreRequest): ReturnType<RemoteScorerPort['score']> {
    const media = this.#opts.media ?? {};
    // a document whose media cannot be sent goes without them (its error reported), as the local backend ranks it on its text
    const [query, { items: documents, errors: documentErrors }] = await Promise.all([workerItem(req.query, media, req.signal), workerDocuments(req.documents, media, req.signal)]);
    const deadline = performance.now() + Math.min(this.#opts.timeoutMs ?? 30_000, req.budgetMs ?? Infinity);
    const payload = {
      ...(this.#opts.model ? { model: this.#opts.model } : {}),
      query,
      documents,
      top_n: req.documents.length,
      return_documents: false,
      ...(req.instruction !== undefined ? { instruction: req.instruction } : {}),
    };
    let answer;
    try {
      answer = await this.#race(JSON.stringify(payload), req.documents.length, deadline, req.signal);
    } catch (e) {
      // a 413 (an inlined photo too big for the worker): that document alone goes on its text, the rest scored — one retry
      const drop = isVlrerankError(e) && e.details.worker_status === 413 ? largestInlined(documents) : undefined;
      if (drop === undefined) throw e;
      documentErrors.push({ index: drop.index, error: tooLargeForWorker(drop, (e as Error).message) });
      documentErrors.sort((a, b) => a.index - b.index);
      documents[drop.index] = toRemoteItem({ text: req.documents[drop.index]!.text ?? '' });
      answer = await this.#race(JSON.stringify({ ...payload, documents }), req.documents.length, deadline, req.signal);
    }
    return documentErrors.length ? { ...answer, documentErrors } : answer;
  }

  /**
   * One call, failed over to the next worker on a worker fault and hedged to a second worker after
   * the hedge delay, all within `deadline`; the first answer wins and the others are aborted.
   */
  #race(body: string, n: number, deadline: number, signal?: AbortSignal): Promise<CallResult & { worker: string }> {
    return new Promise((resolve, reject) => {
      const tried = new Set<RemoteWorker>();
      const controllers: AbortController[] = [];
      let running = 0;
      let done = false;
      let lastErr: unknown;
      const failures: string[] = [];
      let rested = true; // every worker tried asked to be left alone (429/503 with Retry-After)
      let hedge: NodeJS.Timeout | undefined;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        if (hedge) clearTimeout(hedge);
        for (const c of controllers) c.abort();
        fn();
      };
      const fail = () => finish(() => reject(this.#failure(lastErr, failures, rested)));
      const launch = (): boolean => {
        const remaining = Math.floor(deadline - performance.now()); // AbortSignal.timeout and undici want integers
        if (remaining <= 0 || signal?.aborted) return false;
        const w = this.#pool.pick(tried);
        if (!w) return false;
        tried.add(w);
        running++;
        const ac = new AbortController();
        controllers.push(ac);
        const sig = AbortSignal.any([ac.signal, AbortSignal.timeout(remaining), ...(signal ? [signal] : [])]);
        const t0 = performance.now();
        this.#pool.begin(w);
        this.#call(w, body, n, sig, remaining).then(
          (r) => {
            running--;
            this.#pool.succeeded(w, performance.now() - t0);
            finish(() => resolve({ ...r, worker: w.origin }));
          },
          (e) => {
            running--;
            const restMs = typeof e === 'object' && e !== null ? RESTS.get(e) : undefined;
            if (ac.signal.aborted || signal?.aborted || notRetryable(e)) this.#pool.released(w);
            else if (typeof restMs === 'number') this.#pool.rest(w, restMs);
            else this.#pool.failed(w);
            if (restMs === undefined) rested = false;
            if (!ac.signal.aborted && !signal?.aborted) w.lastError = (e as Error).message;
            if (done) return;
            lastErr = e;
            failures.push((e as Error).message);
            // a 401/403 is this worker's refusal of its credentials (URL credentials differ per worker): the next may take it
            const elsewhere = isVlrerankError(e) && (e.details.worker_status === 401 || e.details.worker_status === 403);
            if (signal?.aborted || (notRetryable(e) && !elsewhere)) return finish(() => reject(e));
            if (!launch() && running === 0) fail();
          },
        );
        return true;
      };
      if (!launch()) return fail();
      const delay = this.#pool.hedgeDelay();
      if (delay !== undefined && delay < deadline - performance.now()) {
        hedge = setTimeout(() => {
          if (!done) launch();
        }, delay);
        hedge.unref();
      }
    });
  }

  async #call(w: RemoteWorker, body: string, n: number, sig: AbortSignal, remainingMs: number): Promise<CallResult> {
    let res;
    try {
      res = await w.pool.request({
        method: 'POST',
        path: w.path,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          // the caller's remaining budget, for a worker that bounds its own work by it
          'x-vlrerank-budget-ms': String(Math.max(1, Math.floor(remainingMs))),
          ...(this.#opts.apiKey ? { authorization: `Bearer ${this.#opts.apiKey}` } : w.authorization ? { authorization: w.authorization } : {}),
        },
        body,
        signal: sig,
      });
    } catch (e) {
      const code = (e as { code?: string }).code ?? (e as Error).name;
      throw vlrError('VLR_REMOTE_SCORER', `remote rerank worker ${w.origin} failed: ${code}`, { cause: e });
    }
    const text = this.#scrub(await readAnswer(w.origin, res, answerLimit(Buffer.byteLength(body), n)));
    if (res.statusCode >= 400) throw this.#refusal(w, res.statusCode, res.headers, text);
    return parseAnswer(w.origin, text, n);
  }

  /** A worker's 4xx/5xx as an error that says what to check; 4xx (but 429, and 401/403: credentials differ per worker) is the request's fault: another worker would refuse it too. */
  #refusal(w: RemoteWorker, status: number, headers: Record<string, string | string[] | undefined>, text: string) {
    const hint =
      status === 401 || status === 403
        ? ' — is rerank.remote.apiKey the key this worker expects?'
        : status === 404 || status === 405
          ? ` — no rerank endpoint at ${w.path}: give rerank.remote.urls as the server's base URL or its full …/v1/rerank URL`
          : status === 413
            ? ' — the request was too large for it: lower rerank.remote.maxMediaBytes or maxImageSide (media are sent inlined), or raise the worker\'s body limit'
            : '';
    const restMs = status === 429 || status === 503 ? retryAfterMs(headers['retry-after'], headers.date) : undefined;
    const e = vlrError('VLR_REMOTE_SCORER', `remote rerank worker ${w.origin} answered ${status}${hint}: ${text.slice(0, 300)}`, {
      details: { retryable: status >= 500 || status === 429, worker_status: status },
    });
    if (restMs !== undefined) RESTS.set(e, restMs);
    return e;
  }

  /** The worker's words with the API key taken out: some servers echo the credentials they refuse. */
  #scrub(text: string): string {
    for (const secret of this.#secrets) if (secret.length >= 4) text = text.split(secret).join('[redacted]');
    return text;
  }

  async close(): Promise<void> {
    this.#pool.close();
    await Promise.all(this.#pool.workers.map((w) => w.pool.close()));
  }
}

export async function createRemoteScorer(opts: RemoteScorerOptions): Promise<RemoteScorer> {
  return new RemoteScorer(opts);
}
