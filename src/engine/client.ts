/**
 * The cluster behind, as vlrerank's own code talks to it (search first stages, ingest, backfill,
 * index setup, health): JSON requests over the upstream pool, which engine and version answers
 * (for the dialect switches in dialect.ts), and the per-node health probe.
 *
 * Engine detection: `GET /` answers 405 on the thin Elasticsearch build from Maven, so it reads
 * `_nodes/_local` (every engine has it) and tells Elasticsearch (which has sent
 * `x-elastic-product` since 7.14) from OpenSearch. Cached; a failure is not cached. Asked with
 * vlrerank's own credentials (the upstream URL's, if any); refused those (401/403: a secured cluster
 * and no credentials of its own, as a proxy in front of several tenants runs), it is asked with the
 * credentials of the client whose search needs it, and that client's refusal is its answer
 * (auth-refusal.ts) — every reranked search answered 502 before (held-out probe round 13a).
 */
import { vlrError } from '../errors.js';
import type { UpstreamPool, UpstreamRequest } from '../proxy/pool.js';
import { hasHeader } from '../proxy/nodes.js';
import { type EngineRefusal, engineRefusal, isAuthRefusal, isEngineRefusal } from './auth-refusal.js';
import type { Dialect } from './dialect.js';
import { gatewayAnswer, gatewayError } from './gateway.js';

export interface EngineInfo {
  distribution: Dialect;
  version: string;
  /** Major version as a number, for dialect switches. */
  major: number;
  /**
   * The product headers the engine writes on every answer, as it wrote them on the detection's:
   * `x-elastic-product` (Elasticsearch since 7.14), `x-opensearch-version` (OpenSearch 3.x:
   * `OpenSearch/3.6.0 (opensearch)`; 2.x writes none). vlrerank's own answers on the engine's
   * paths carry them (http/errors.ts `esProduct`).
   */
  productHeaders: Readonly<Record<string, string>>;
}

/**
 * The engine behind a 403 to `_nodes/_local` (credentials authenticated, not allowed
 * `cluster:monitor/nodes/info`), when the refusal says so beyond doubt: Elasticsearch's
 * `x-elastic-product` header, OpenSearch 3's `x-opensearch-version`, or the OpenSearch security
 * plugin's own refusal (`no permissions for [cluster:monitor/nodes/info] and User [name=…`, the
 * only shape it writes; Elasticsearch says `action [...] is unauthorized for user`). A gateway's
 * bare 403 says nothing: undefined, and the refusal stays the client's answer. The version is
 * then unknown (nothing reads it but health); only the distribution picks a dialect.
 * Held-out probe round 16a: with the security plugin, a role that may search `p16a-*` and nothing
 * more (the least privilege a search user gets) had every reranked search answered that 403.
 */
export function engineOfRefusal(r: EngineRefusal): EngineInfo | undefined {
  const header = (name: string) => {
    const v = r.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  if (header('x-elastic-product') === 'Elasticsearch') return { distribution: 'elasticsearch', version: 'unknown', major: Number.NaN, productHeaders: productHeadersOf(r.headers, 'elasticsearch') };
  const os3 = /^OpenSearch\/(\d+)\.(\S+)/.exec(header('x-opensearch-version') ?? '');
  if (os3) return { distribution: 'opensearch', version: `${os3[1]}.${os3[2]}`, major: Number(os3[1]), productHeaders: productHeadersOf(r.headers, 'opensearch') };
  let reason: unknown;
  try {
    reason = (JSON.parse(r.body.toString('utf8')) as { error?: { type?: unknown; reason?: unknown } }).error;
  } catch {
    return undefined;
  }
  const e = reason as { type?: unknown; reason?: unknown } | undefined;
  const plugin = e?.type === 'security_exception' && typeof e.reason === 'string' && /^no permissions for \[[^\]]+\] and User \[name=/.test(e.reason);
  return plugin ? { distribution: 'opensearch', version: 'unknown', major: Number.NaN, productHeaders: productHeadersOf(r.headers, 'opensearch') } : undefined;
}

/** The product headers of an engine's answer (see `EngineInfo.productHeaders`). */
export function productHeadersOf(headers: Record<string, string | string[] | undefined>, distribution: Dialect): Record<string, string> {
  if (distribution === 'elasticsearch') return { 'x-elastic-product': 'Elasticsearch' };
  const v = headers['x-opensearch-version'];
  const version = Array.isArray(v) ? v[0] : v;
  return version ? { 'x-opensearch-version': version } : {};
}

export interface NodeStatus {
  node: string;
  reachable: boolean;
  /** HTTP status of the probe, when it answered. */
  status?: number;
  ms: number;
  error?: string;
  /** The cluster's status as this node sees it (green, yellow, red — red too when it knows no elected master). */
  cluster?: string;
}

export interface JsonResponse<T> {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

export class EngineClient {
  #info: Promise<EngineInfo> | undefined;

  constructor(readonly pool: Pick<UpstreamPool, 'request' | 'requestEach' | 'translate'>) {}

  /**
   * A JSON request: the body is serialised unless already a string/Buffer, the answer parsed (an
   * empty body gives `undefined`). 4xx/5xx answers resolve too; look at `statusCode`. Rejects with
   * VLR_UPSTREAM_* when the cluster cannot be reached or answers something that is not JSON.
   */
  async json<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
    options: Pick<UpstreamRequest, 'signal' | 'idempotent'> = {},
  ): Promise<JsonResponse<T>> {
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const h: Record<string, string> = { accept: 'application/json', ...headers };
    if (payload !== undefined && !hasHeader(h, 'content-type')) h['content-type'] = 'application/json';
    const res = await this.pool.request({ method, path, headers: h, body: payload, signal: options.signal, idempotent: options.idempotent });
    let text: string;
    try {
      text = await res.body.text();
    } catch (e) {
      throw this.pool.translate(e, res.node);
    }
    if (text === '') return { statusCode: res.statusCode, headers: res.headers, body: undefined as T };
    try {
      return { statusCode: res.statusCode, headers: res.headers, body: JSON.parse(text) as T };
    } catch {
      throw vlrError('VLR_UPSTREAM_ERROR', `upstream ${res.node} answered ${method} ${path} with ${res.statusCode} and a body that is not JSON: ${text.slice(0, 200)}`, {
        details: { node: res.node },
      });
    }
  }

  #known: EngineInfo | undefined;

  /**
   * Which engine answers (cached once known). `credentials`: the client's credential headers
   * (targets.ts `credentialHeaders`), tried when vlrerank's own are refused.
   */
  info(credentials?: Record<string, string>): Promise<EngineInfo> {
    if (this.#known) return Promise.resolve(this.#known);
    this.#info ??= this.#detect().then(
      (i) => (this.#known = i),
      (e) => {
        this.#info = undefined;
        throw e;
      },
    );
    if (!credentials || !Object.keys(credentials).length) return this.#info;
    return this.#info.catch((e: unknown) => {
      if (!isEngineRefusal(e)) throw e;
      return this.#detect(credentials).then(
        (i) => (this.#known = i),
        (r: unknown) => {
          // allowed to search but not to read nodes (a least-privilege role): the refusal itself may still say which engine it is
          const told = isEngineRefusal(r) && r.status === 403 ? engineOfRefusal(r) : undefined;
          if (!told) throw r;
          return (this.#known = told);
        },
      );
    });
  }

  /** The engine if already detected, without asking (error answers use it: they must not wait on the cluster). */
  known(): EngineInfo | undefined {
    return this.#known;
  }

  async #detect(credentials?: Record<string, string>): Promise<EngineInfo> {
    const path = '/_nodes/_local?filter_path=nodes.*.version,nodes.*.build_flavor';
    const res = await this.pool.request({ method: 'GET', path, headers: { ...credentials, accept: 'application/json' }, idempotent: true });
    let text: string;
    try {
      text = await res.body.text();
    } catch (e) {
      throw this.pool.translate(e, res.node);
    }
    // a refusal is answered as given, whatever its body (a gateway's may be HTML)
    if (isAuthRefusal(res.statusCode)) throw engineRefusal(res.statusCode, res.headers, text);
    let node: { version?: string } | undefined;
    try {
      const nodes = (JSON.parse(text) as { nodes?: Record<string, { version?: string }> } | undefined)?.nodes;
      node = nodes ? Object.values(nodes)[0] : undefined;
    } catch {
      node = undefined;
    }
    if (res.statusCode !== 200 || !node?.version) {
      const gateway = gatewayError(`cannot tell the upstream engine: GET /_nodes/_local`, res.node, res.statusCode, res.headers, text);
      if (gateway) throw gateway;
      throw vlrError('VLR_UPSTREAM_ERROR', `cannot tell the upstream engine: GET /_nodes/_local answered ${res.statusCode}`);
    }
    const distribution = res.headers['x-elastic-product'] === 'Elasticsearch' ? 'elasticsearch' : 'opensearch';
    return { distribution, version: node.version, major: Number.parseInt(node.version, 10), productHeaders: productHeadersOf(res.headers, distribution) };
  }

  /**
   * Probe every node (for /_vlrerank/health): `GET /_cluster/health?local=true` on each, in parallel.
   * `local`: the node answers from the cluster state it holds. Without it the node waits for an
   * elected master (`master_timeout`, 30 s) — a node left without one (two of three master-eligible
   * nodes gone) timed out the 2 s probe and was called unreachable, so readiness took the replica out
   * of its balancer while the node still answered every search (held-out probe round 17a). Such a
   * node is reachable and says `red`.
   */
  async probe(timeoutMs = 2_000): Promise<NodeStatus[]> {
    const answers = await this.pool.requestEach({ method: 'GET', path: '/_cluster/health?local=true&filter_path=status', signal: AbortSignal.timeout(timeoutMs), headersTimeoutMs: timeoutMs });
    return Promise.all(
      answers.map(async (a): Promise<NodeStatus> => {
        if ('error' in a) return { node: a.node, reachable: false, ms: a.ms, error: a.code ?? (a.error as Error)?.message };
        const { statusCode, headers } = a.response;
        const text = await a.response.body.text().catch(() => undefined);
        // a proxy's 502/504 page: the engine behind it was not reached (engine/gateway.ts)
        const gateway = gatewayAnswer(statusCode, headers, statusCode >= 500 ? text : undefined);
        if (gateway) return { node: a.node, reachable: false, status: statusCode, ms: a.ms, error: `${gateway}: a proxy in front of the engine answered, not the engine` };
        // the node's own view of the cluster (`_cluster/health?local=true`)
        const cluster = (() => {
          try {
            return (JSON.parse(text ?? '') as { status?: unknown } | null)?.status;
          } catch {
            return undefined;
          }
        })();
        return { node: a.node, reachable: true, status: statusCode, ms: a.ms, ...(typeof cluster === 'string' ? { cluster } : {}) };
      }),
    );
  }
}
