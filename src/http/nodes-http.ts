/**
 * `GET /_nodes/…/http` — the call a **sniffing** client makes (opensearch-js and the ES client's
 * `sniffOnStart`, `sniffInterval`, `sniffOnConnectionFault`: `/_nodes/_all/http`) to learn the
 * cluster's nodes, whose `http.publish_address` it then talks to instead of the URL it was given.
 * Passed through as it was, it taught the client the engine's own addresses: after the first
 * sniff every request bypassed vlrerank — reranked searches got the engine's 400 (`unknown named
 * object … SearchExtBuilder`), writes were stored without vectors or records (held-out probe
 * round 11c, opensearch-js 3.9 on OpenSearch 2.19). Each node's `publish_address` is answered as
 * the address the client reached vlrerank by (its `Host`), so a sniffing client keeps sending
 * through the proxy, one connection per node as before; everything else of the answer (names,
 * roles, `bound_address`, other metrics asked beside `http`) is the engine's.
 * Never: rewrites another path, or an answer that is not a 200 JSON object (passed as is).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { forwardRequestHeaders, forwardResponseHeaders, withoutHeaders } from '../proxy/hop-by-hop.js';
import type { UpstreamPool } from '../proxy/pool.js';
import { esProduct, sendError, type ErrorDeps, type UpstreamProduct } from './errors.js';
import { prettyAsked, queryParams } from './request.js';

/** Is this the nodes-info API asking for the `http` metric (`/_nodes/http`, `/_nodes/{ids}/http`, `/_nodes/{ids}/http,os`)? */
export function isNodesHttp(method: string | undefined, url: string): boolean {
  if (method !== 'GET') return false;
  const q = url.indexOf('?');
  const parts = (q < 0 ? url : url.slice(0, q)).split('/');
  if (parts[0] !== '' || parts[1] !== '_nodes' || parts.length < 3 || parts.length > 4) return false;
  return parts[parts.length - 1]!.split(',').includes('http');
}

/** The nodes-info answer with each node's `http.publish_address` replaced by `address` (unchanged when it has none). */
export function publishThrough(body: unknown, address: string): boolean {
  const nodes = (body as { nodes?: unknown } | null)?.nodes;
  if (!nodes || typeof nodes !== 'object') return false;
  let changed = false;
  for (const n of Object.values(nodes as Record<string, unknown>)) {
    const http = (n as { http?: { publish_address?: unknown } } | null)?.http;
    if (http && typeof http.publish_address === 'string') {
      http.publish_address = address;
      changed = true;
    }
  }
  return changed;
}

/** Request headers for a read whose answer we parse: no compressed answer. */
const NO_ENCODING = new Set(['accept-encoding']);
const BODY_BYTES = new Set(['content-length', 'content-encoding', 'transfer-encoding']);

export function nodesHttpHandler(pool: UpstreamPool, deps: ErrorDeps, upstreamProduct?: UpstreamProduct) {
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const ac = new AbortController();
    res.once('close', () => !res.writableFinished && ac.abort());
    try {
      const up = await pool.request({ method: 'GET', path, headers: withoutHeaders(forwardRequestHeaders(req.rawHeaders), NO_ENCODING), signal: ac.signal, rawHeaders: true, idempotent: true });
      const text = await up.body.text();
      let out = text;
      const host = req.headers.host;
      if (up.statusCode === 200 && host) {
        try {
          const body = JSON.parse(text) as unknown;
          // `?pretty` kept: the rewritten answer came compact whatever it asked (held-out probe round 22b)
          if (publishThrough(body, host)) out = prettyAsked(queryParams(req)) ? `${JSON.stringify(body, null, 2)}\n` : JSON.stringify(body);
        } catch {
          /* not JSON (`?format=yaml`…): the engine's answer as it is */
        }
      }
      res.sendDate = false;
      const headers = withoutHeaders(forwardResponseHeaders(up.rawHeaders!), BODY_BYTES);
      res.writeHead(up.statusCode, [...headers, 'content-length', String(Buffer.byteLength(out))]);
      res.end(out);
    } catch (e) {
      if (!res.destroyed) sendError(res, e, deps, esProduct(upstreamProduct));
    }
  };
}
