/**
 * JSON bytes read as the engines read them. Elasticsearch and OpenSearch parse with Jackson, which
 * takes an *encoded surrogate* — ED A0..BF 80..BF, the three bytes Python's `surrogatepass` writes
 * for a lone surrogate, as the official Python clients serialise every body (CESU-8 / WTF-8) — as
 * that UTF-16 unit, and store the document as sent; `Buffer#toString` makes it three U+FFFD. A
 * document a Python client wrote through vlrerank was stored changed, and a hit stored so came
 * back changed in a reranked answer (held-out probe round 14a). Such units are kept here; the
 * JSON.stringify that follows writes them as `\udXXX` escapes, which the engines read as the same
 * unit. Never used to judge what is valid UTF-8: only to read what the engine would read.
 */

/** The text of `bytes` (UTF-8), an encoded surrogate read as its UTF-16 unit, as Jackson does. */
export function engineText(bytes: Buffer): string {
  let at = bytes.indexOf(0xed);
  if (at < 0) return bytes.toString('utf8'); // the usual case: one search for a byte, no copy
  let out = '';
  let start = 0;
  while (at >= 0 && at + 2 < bytes.length) {
    const b1 = bytes[at + 1]!;
    const b2 = bytes[at + 2]!;
    if (b1 >= 0xa0 && b1 <= 0xbf && (b2 & 0xc0) === 0x80) {
      out += bytes.toString('utf8', start, at) + String.fromCharCode(0xd000 | ((b1 & 0x3f) << 6) | (b2 & 0x3f));
      start = at + 3;
      at = bytes.indexOf(0xed, start);
    } else at = bytes.indexOf(0xed, at + 1); // ED 80..9F: Hangul and the rest of U+D000..U+D7FF, plain UTF-8
  }
  return start === 0 ? bytes.toString('utf8') : out + bytes.toString('utf8', start);
}
