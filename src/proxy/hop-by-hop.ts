/**
 * Hop-by-hop header removal, per RFC 9110 §7.6.1: Connection, every header the Connection header
 * names, and the classic hop-by-hop set (Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding,
 * Upgrade) belong to one connection and are never forwarded, in either direction. Everything
 * else — Authorization, API keys, x-elastic-product, Content-Encoding — passes untouched, in its
 * original case and order, repeated headers included.
 *
 * Works on Node's raw header lists (`[name, value, name, value, …]`) so nothing is re-parsed.
 */

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * Request side only: the proxy answers `Expect: 100-continue` itself (Node's server does it before
 * the handler runs) and talks to the upstream with the upstream's own Host.
 */
const REQUEST_ONLY = new Set(['host', 'expect']);

function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      tokens ??= new Set();
      for (const t of raw[i + 1]!.split(',')) {
        const name = t.trim().toLowerCase();
        if (name) tokens.add(name);
      }
    }
  }
  return tokens;
}

function strip(raw: readonly string[], extra: Set<string> | undefined): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || name.startsWith('proxy-') || named?.has(name) || extra?.has(name)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** A raw header list without the named headers (lower-case names), e.g. the length of a body we rewrote. */
export function withoutHeaders(raw: readonly string[], names: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!names.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  return out;
}

/** Headers of a client request, ready to send upstream. */
export function forwardRequestHeaders(raw: readonly string[]): string[] {
  return strip(raw, REQUEST_ONLY);
}

/** Headers of an upstream response, ready to send to the client. */
export function forwardResponseHeaders(raw: readonly string[]): string[] {
  return strip(raw, undefined);
}
