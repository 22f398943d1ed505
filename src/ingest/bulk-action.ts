/**
 * A `_bulk` action line read in place, without decoding or JSON.parse: in a bulk into indices no
 * pipeline ingests only each action's op matters (a source line follows unless it deletes), and
 * parsing every action line cost ~20 ms of main-thread CPU per MB (scripts/bench/bulk-lines.ts).
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPS = ['index', 'create', 'update', 'delete'].map((op) => ({ op, bytes: Buffer.from(`${op}"`) }));
const INDEX_KEY = Buffer.from('"_index"');

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d;
}

/**
 * The action line `b[s..e)` in its plain form — `{"index":{…}}`, `{ "delete" : …`, with at most
 * one `"_index": "name"` — read in place: its op and the index it names; undefined for anything
 * else (an escape, a second `_index`, another shape: then it is parsed as JSON).
 */
export function plainAction(b: Buffer, s: number, e: number): { op: string; index?: string } | undefined {
  let at = -1;
  for (let k = s; k < e; k++) {
    const c = b[k];
    if (c === BACKSLASH) return undefined;
    if (c === QUOTE && b[k + 1] === 0x5f && e - k >= INDEX_KEY.length) {
      let same = true;
      for (let j = 2; j < INDEX_KEY.length && same; j++) same = b[k + j] === INDEX_KEY[j];
      if (same) {
        if (at >= 0) return undefined;
        at = k;
      }
    }
  }
  let i = s;
  while (i < e && isSpace(b[i]!)) i++;
  if (b[i++] !== 0x7b) return undefined; // {
  while (i < e && isSpace(b[i]!)) i++;
  if (b[i++] !== QUOTE) return undefined;
  let op: string | undefined;
  for (const o of OPS) {
    if (e - i < o.bytes.length) continue;
    let same = true;
    for (let j = 0; j < o.bytes.length && same; j++) same = b[i + j] === o.bytes[j];
    if (same) op = o.op;
  }
  if (op === undefined) return undefined;
  if (at < 0) return { op };
  // "_index" then : then "name"
  let k = at + INDEX_KEY.length;
  while (k < e && isSpace(b[k]!)) k++;
  if (b[k++] !== 0x3a) return undefined; // :
  while (k < e && isSpace(b[k]!)) k++;
  if (b[k++] !== QUOTE) return undefined;
  let z = k;
  while (z < e && b[z] !== QUOTE) z++;
  if (z >= e) return undefined;
  return { op, index: b.toString('utf8', k, z) };
}
