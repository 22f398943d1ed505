/**
 * Test helper: the bytes the official Python client (elasticsearch-py 8.19, elastic-transport 8.19,
 * urllib3) sends, captured from `helpers.bulk` — CI has python3 but not the client. Its serializer
 * is `json.dumps(ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")`: text
 * as UTF-8, and a lone surrogate (`"\ud800"`, e.g. from a file name read with `surrogateescape`) as
 * its three bytes ED A0 80 — not valid UTF-8, which Elasticsearch and OpenSearch (Jackson) read as
 * that UTF-16 unit and store as sent.
 */

/** `JSON.stringify` as the Python client writes it: lone surrogates as raw WTF-8 bytes, not `\u` escapes. */
export function esPyJson(value: unknown): Buffer {
  const text = JSON.stringify(value).replace(/\\u(d[89a-f][0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  const out: number[] = [];
  for (const ch of text) {
    const u = ch.codePointAt(0)!;
    if (u >= 0xd800 && u <= 0xdfff) out.push(0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)); // surrogatepass
    else out.push(...Buffer.from(ch, 'utf8'));
  }
  return Buffer.from(out);
}

/** WTF-8 bytes as Python's `decode("utf-8", "surrogatepass")` reads them (how the Python client reads an answer). */
export function esPyText(bytes: Buffer): string {
  let s = '';
  for (let i = 0; i < bytes.length; ) {
    if (bytes[i] === 0xed && bytes[i + 1]! >= 0xa0 && bytes[i + 1]! <= 0xbf) {
      s += String.fromCharCode(0xd000 | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f));
      i += 3;
      continue;
    }
    let j = i + 1;
    while (j < bytes.length && !(bytes[j] === 0xed && bytes[j + 1]! >= 0xa0 && bytes[j + 1]! <= 0xbf)) j++;
    s += bytes.toString('utf8', i, j);
    i = j;
  }
  return s;
}

/** `helpers.bulk(es, actions)` as sent: `PUT /_bulk`, its headers, one serialized line per action and source. */
export function esPyBulk(actions: Array<{ _index: string; _id: string; _source: object }>): { method: 'PUT'; path: string; headers: Record<string, string>; body: Buffer } {
  const lines = actions.flatMap((a) => [esPyJson({ index: { _id: a._id, _index: a._index } }), esPyJson(a._source)]);
  return {
    method: 'PUT',
    path: '/_bulk',
    headers: {
      accept: 'application/vnd.elasticsearch+json; compatible-with=8',
      'content-type': 'application/vnd.elasticsearch+x-ndjson; compatible-with=8',
      'user-agent': 'elasticsearch-py/8.19.3 (Python/3.11.7; elastic-transport/8.19.0)',
      'x-elastic-client-meta': 'es=8.19.3,py=3.11.7,t=8.19.0,ur=2.8.0,h=bp',
    },
    body: Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])),
  };
}

/** The headers elasticsearch-py 9.5 (elastic-transport 9.4) sends with `msearch` (captured): `compatible-with=9`. */
export const ES_PY_9_MSEARCH_HEADERS: Record<string, string> = {
  accept: 'application/vnd.elasticsearch+json; compatible-with=9',
  'content-type': 'application/vnd.elasticsearch+x-ndjson; compatible-with=9',
  'user-agent': 'elasticsearch-py/9.5.1 (Python/3.11.7; elastic-transport/9.4.2)',
  'x-elastic-client-meta': 'es=9.5.1,py=3.11.7,t=9.4.2,ur=2.8.0',
};
