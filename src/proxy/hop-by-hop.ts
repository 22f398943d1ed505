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

/**
 * The names one Connection value lists, by value: nearly every client sends the same one on every
 * request (`keep-alive`), whose split into a new Set was the largest item of a proxied GET's own
 * code in bench:proxy's profile. Kept sets are never changed; bounded, values come from clients.
 */
const tokensOf = new Map<string, ReadonlySet<string>>();
const TOKENS_KEPT = 64;

function parseTokens(value: string): ReadonlySet<string> {
  let kept = tokensOf.get(value);
  if (kept) return kept;
  const tokens = new Set<string>();
  for (const t of value.split(',')) {
    const name = t.trim().toLowerCase();
    if (name) tokens.add(name);
  }
  if (tokensOf.size >= TOKENS_KEPT) tokensOf.clear();
  tokensOf.set(value, (kept = tokens));
  if ([...tokens].every((t) => FIXED_LENGTHS.has(t.length))) byLength.add(kept);
  return kept;
}

/** The lengths of the names always dropped (te, host, expect, trailer, upgrade, connection, keep-alive, transfer-encoding). */
const FIXED_LENGTHS: ReadonlySet<number> = new Set([2, 4, 6, 7, 10, 17]);

/**
 * Connection token sets whose every name has one of those lengths (`keep-alive`, nearly every
 * client's): `mayBeFixedDrop` then finds the headers they name too, by length.
 */
const byLength = new WeakSet<ReadonlySet<string>>();

function connectionTokens(raw: readonly string[]): ReadonlySet<string> | undefined {
  let tokens: ReadonlySet<string> | undefined;
  let merged: Set<string> | undefined; // only for several Connection headers
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      const these = parseTokens(raw[i + 1]!);
      if (!tokens) tokens = these;
      else {
        merged ??= new Set(tokens);
        for (const t of these) merged.add(t);
        tokens = merged;
      }
    }
  }
  return tokens;
}

/**
 * Could a header of this name be one `strip` drops? Its length is one of the fixed names' (te 2,
 * host 4, expect 6, trailer/upgrade 7, connection/keep-alive 10, transfer-encoding 17) or it may
 * start with `proxy-`: every other name (content-type 12, content-length 14, authorization 13…)
 * passes without being lower-cased — unless a Connection header lists a name of another length.
 */
function mayBeFixedDrop(name: string): boolean {
  const n = name.length;
  return n === 2 || n === 4 || n === 6 || n === 7 || n === 10 || n === 17 || (n > 6 && (name.charCodeAt(0) | 0x20) === 112 /* p */);
}

function strip(raw: readonly string[], extra: ReadonlySet<string> | undefined): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    if (mayBeFixedDrop(k) || (named !== undefined && !byLength.has(named))) {
      const name = k.toLowerCase();
      if (HOP_BY_HOP.has(name) || name.startsWith('proxy-') || named?.has(name) || extra?.has(name)) continue;
    }
    out.push(k, raw[i + 1]!);
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

/** The first value of header `name` (lower case) in a raw list, if any. */
export function rawHeader(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return raw[i + 1];
  return undefined;
}
