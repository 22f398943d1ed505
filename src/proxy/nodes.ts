/**
 * The configured cluster nodes: two undici Pools per node URL (passthrough, and vlrerank's own
 * requests: a bulkhead, issue 13 "passthrough never slowed by rerank load"; https with a custom CA / client
 * certificate; SNI for host names only), the path prefix and credentials a URL carries, and the
 * header helpers that add a node's credentials when the client sent none. Labels (URL with
 * credentials redacted) name nodes in metrics, logs and health.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Pool } from 'undici';
import type { Config } from '../config/schema.js';
import { vlrError } from '../errors.js';
import { earlyAnswerConnector } from './early-answer.js';
import type { Backoff } from './retry.js';

export type UpstreamOptions = Config['upstream'];

/** Object headers, or a flat raw `[name, value, …]` list (keeps duplicates and case). */
export type Headers = Record<string, string | string[] | undefined> | string[];

export interface UpstreamNode extends Backoff {
  /** URL with credentials redacted, used in metrics labels, logs and health. */
  label: string;
  /** Path prefix from the configured URL (`http://host:9200/es` → `/es`), '' when none. */
  prefix: string;
  /** `Basic …` from credentials in the URL, sent when the client sent no Authorization. */
  authorization?: string;
  /** Passthrough: the clients' own requests forwarded unchanged (`forward()`). */
  pool: Pool;
  /**
   * vlrerank's own requests to the node (a reranked search's first stage, ingest, engine calls):
   * connections of their own, so a wave of first stages never queues passthrough behind it.
   */
  own: Pool;
  /** This node's child of the upstream latency histogram (prom-client hashes labels on every observe({…})). */
  latency?: { observe(seconds: number): void };
}

function readPem(path: string | undefined, what: string): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw vlrError('VLR_CONFIG_INVALID', `upstream.tls.${what}: cannot read ${path}: ${(e as Error).message}`);
  }
}

export function createNodes(opts: UpstreamOptions): UpstreamNode[] {
  const tls = opts.tls ?? { rejectUnauthorized: true };
  const ca = readPem(tls.ca, 'ca');
  const cert = readPem(tls.cert, 'cert');
  const key = readPem(tls.key, 'key');
  return opts.urls.map((raw) => {
    const u = new URL(raw);
    const authorization =
      u.username || u.password ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}` : undefined;
    const prefix = u.pathname.replace(/\/+$/, '');
    const https = u.protocol === 'https:';
    const pool = () => new Pool(u.origin, {
      connections: opts.connectionsPerNode,
      pipelining: 1,
      headersTimeout: opts.headersTimeoutMs,
      bodyTimeout: opts.bodyTimeoutMs,
      keepAliveTimeout: opts.keepAliveTimeoutMs,
      // SNI carries host names only (RFC 6066 §3); an answer sent before the body was read is kept
      connect: earlyAnswerConnector({ timeout: opts.connectTimeoutMs, ...(https ? { ca, cert, key, rejectUnauthorized: tls.rejectUnauthorized, ...(isIP(u.hostname.replace(/^\[|\]$/g, '')) ? {} : { servername: u.hostname }) } : {}) }),
    });
    return { label: `${u.protocol}//${u.host}${prefix}`, prefix, authorization, pool: pool(), own: pool(), downUntil: 0, failures: 0 };
  });
}

export function hasHeader(headers: Headers | undefined, name: string): boolean {
  if (!headers) return false;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === name) return true;
    return false;
  }
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

function addHeader(headers: Headers | undefined, name: string, value: string): Headers {
  if (Array.isArray(headers)) return [...headers, name, value];
  return { ...headers, [name]: value };
}

/** A node's credentials from its URL, unless the client sent its own Authorization. */
export function withNodeAuth(node: UpstreamNode, headers: Headers | undefined): Headers | undefined {
  return node.authorization && !hasHeader(headers, 'authorization') ? addHeader(headers, 'authorization', node.authorization) : headers;
}

/** Raw `[name, value, …]` → lower-cased object (repeated headers become arrays, like Node's). */
export function rawToObject(raw: string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    const v = raw[i + 1]!;
    const cur = out[k];
    if (cur === undefined) out[k] = v;
    else if (Array.isArray(cur)) cur.push(v);
    else out[k] = [cur, v];
  }
  return out;
}
