/**
 * A 5xx that a reverse proxy between vlrerank and the engine wrote, not the engine (held-out probe
 * round 17c: `upstream.urls` pointing at nginx). Elasticsearch and OpenSearch answer every error in
 * JSON, Elasticsearch with `x-elastic-product` besides; nginx's 502/504 (the engine down or slower
 * than its `proxy_read_timeout`) and HAProxy's 503 (no server) are HTML pages. vlrerank took them
 * for the engine's own answers: a reranked search passed nginx's HTML page on with
 * `x-elastic-product: Elasticsearch` stamped on it, `_msearch` put the page in each item's `reason`,
 * and health counted the node reachable — green, and ready for balancers — while every search
 * failed. Such an answer is now said to be the gateway's: the engine was not reached.
 */
import { vlrError, type VlrerankError } from '../errors.js';

type Headers = Record<string, string | string[] | undefined>;

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Why an answer is a gateway's rather than the engine's ("502 text/html from nginx/1.22.1: 502 Bad Gateway"), or undefined for the engine's own. */
export function gatewayAnswer(status: number, headers: Headers, body?: Buffer | string): string | undefined {
  if (status < 500) return undefined;
  if (one(headers['x-elastic-product']) !== undefined || one(headers['x-opensearch-version']) !== undefined) return undefined;
  const type = one(headers['content-type']);
  if (type && /json/i.test(type)) return undefined;
  const server = one(headers.server);
  const title = body === undefined ? undefined : /<title>([^<]{1,120})<\/title>/i.exec(body.toString().slice(0, 2048))?.[1]?.trim();
  return `${status} ${type ? type.split(';')[0]!.trim() : 'without a content type'}${server ? ` from ${server}` : ''}${title ? ` ("${title}")` : ''}`;
}

/**
 * The error answered for a gateway's 5xx met on `what` (e.g. "the first-stage search POST /i/_search"):
 * the gateway's 504 (the engine slower than the gateway waits) → 504 `VLR_UPSTREAM_TIMEOUT`, any
 * other → 502 `VLR_UPSTREAM_UNREACHABLE`; undefined when the answer is the engine's own.
 */
export function gatewayError(what: string, node: string, status: number, headers: Headers, body?: Buffer | string): VlrerankError | undefined {
  const said = gatewayAnswer(status, headers, body);
  if (!said) return undefined;
  const reason = `${what}: ${node} answered ${said} — a proxy between vlrerank and the engine, not the engine; the engine behind it was not reached`;
  return vlrError(status === 504 ? 'VLR_UPSTREAM_TIMEOUT' : 'VLR_UPSTREAM_UNREACHABLE', reason, { details: { node, gateway_status: status } });
}
