/**
 * The code of the JSON parsing worker thread, as plain JavaScript (CommonJS) started with
 * `new Worker(source, { eval: true })` — a string for the reasons given in
 * models/session-worker-source.ts (tsx, vitest and dist/ all start it the same way). Internal to
 * json-worker.ts: nothing else may start it or talk to it.
 *
 * Why a worker: a 31 MiB body (under server.maxJsonBodyBytes) cost the main thread ~0.2–0.6 s of
 * UTF-8 decoding and ~0.15–0.25 s of JSON.parse, in one piece each, while health waited (issue 13:
 * health p99 697 ms). Here the whole proportional part runs: the content coding undone (bounded),
 * UTF-8 decoding, the marker test, the depth scan (the same rule as util/json-depth.ts on
 * util/json-scan.ts's lexer, repeated here because this source is a string — which
 * json-worker.test.ts checks they agree on) and JSON.parse.
 *
 * What comes back must be cheap to receive too: a structured clone of a 31 MiB value costs the
 * receiving thread about as much as a parse of it. So strings longer than `cut` characters are
 * cut out of the value (replaced by '' and listed by path) and handed over one piece of at most
 * `piece` characters per request, so that the main thread takes each in its own turn of the event
 * loop. A string of one piece arrives flat; a longer one is rebuilt as a rope, which V8 flattens
 * (one copy of it) the first time it is read.
 *
 * Protocol (every request answered once, by `id`):
 *   → { op: 'parse', id, bytes (ArrayBuffer, transferred), length, coding, maxBytes, maxDepth, markers, always, cut, piece, giveBack, tokens }
 *       (every answer to a parse carries `bytes` back, transferred, when `giveBack`)
 *       ← { id, ok: true, hasMarker, parsed: false }                     (no marker and not `always`)
 *       ← { id, ok: true, hasMarker, parsed: true, value, longs: [{ path, length }], tokens? }   (tokens: sentTokens' answer, when asked)
 *       ← { id, ok: false, kind: 'too_large' | 'decode' | 'deep' | 'syntax', message }
 *   → { op: 'ndjson', … the same as 'parse' }   (_msearch bodies: see ndjson() below)
 *       ← { id, ok: true, hasMarker, parsed: true, value: [{ i, header, body }], longs, lines (ArrayBuffer of
 *           Uint32 byte ranges, 4 per item), decoded? (ArrayBuffer: the bytes after the content coding) }
 *   → { op: 'piece', id }   ← { id, ok: true, piece }  (the next piece of the long strings, in order)
 *   → { op: 'drop', id }    (forget what is left of `id`; no answer)
 *   → { op: 'stringify', id, value, indent, nonce, kept }   (an answer to write: JSON.stringify, the
 *       strings "<nonce><i>" written as kept[i] — numbers as the engine wrote them —, then UTF-8)
 *       ← { id, ok: true, bytes (ArrayBuffer, transferred), length }  or  { id, ok: false, message }
 */
export const JSON_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');
// named for /proc and top -H (bench:load --threads); it stays at the process's priority: it reads request bodies before admission
try { require('node:fs').writeFileSync('/proc/thread-self/comm', 'vlr-json'); } catch (e) {}
const pending = new Map();

function stringEnd(text, open) {
  let from = open + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0) return -1;
    let k = q - 1;
    while (k > open && text.charCodeAt(k) === 92) k--;
    if ((q - 1 - k) % 2 === 0) return q;
    from = q + 1;
  }
}

function jsonDepth(text, limit) {
  let depth = 0, max = 0;
  for (let i = 0, n = text.length; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      i = stringEnd(text, i);
      if (i < 0) return max;
    } else if (c === 123 || c === 91) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if ((c === 125 || c === 93) && depth > 0) depth--;
  }
  return max;
}

// JSON bytes read as the engines (Jackson) read them: an encoded lone surrogate (ED A0..BF 80..BF, as
// the Python clients write one) is that UTF-16 unit — the same rule as util/wire-text.ts, which
// json-worker.test.ts checks they agree on.
function engineText(bytes, start, end) {
  start = start || 0;
  end = end === undefined ? bytes.length : end;
  let at = bytes.indexOf(0xed, start);
  if (at < 0 || at >= end) return bytes.toString('utf8', start, end);
  let out = '';
  let from = start;
  while (at >= 0 && at + 2 < end) {
    const b1 = bytes[at + 1];
    const b2 = bytes[at + 2];
    if (b1 >= 0xa0 && b1 <= 0xbf && (b2 & 0xc0) === 0x80) {
      out += bytes.toString('utf8', from, at) + String.fromCharCode(0xd000 | ((b1 & 0x3f) << 6) | (b2 & 0x3f));
      from = at + 3;
      at = bytes.indexOf(0xed, from);
    } else at = bytes.indexOf(0xed, at + 1);
  }
  return from === start ? bytes.toString('utf8', start, end) : out + bytes.toString('utf8', from, end);
}

// The tokens that do not print back as sent, by place (objects as Maps by key, arrays by position),
// and the integers past 2^53 by the double they read as: util/json-tokens.ts's sentTokens, by the
// same rules on util/json-scan.ts's lexer (a string jumped with stringEnd; a number a run of
// 0-9 - + . e E; a literal a run of letters; non-ASCII and whitespace skipped), repeated here
// because this source is a string — json-worker.test.ts checks they agree. Asked for an engine's
// answer parsed here (search/first-stage-answer.ts), so that the main thread only binds the tree.
const NUMBER_CHAR = new Uint8Array(128);
const LETTER = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  NUMBER_CHAR[c] = (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69 ? 1 : 0;
  LETTER[c] = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? 1 : 0;
}
const T_END = 0, T_STRING = 1, T_NUMBER = 2, T_LITERAL = 3, T_UNTERMINATED = 4;
function scanner(text) {
  const n = text.length;
  let at = 0, backslash = -1;
  const s = { start: 0, end: 0 };
  s.next = () => {
    for (let i = at; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128) continue;
      s.start = i;
      if (c === 34) {
        const e = stringEnd(text, i);
        if (e < 0) { at = s.end = n; return T_UNTERMINATED; }
        at = s.end = e + 1;
        return T_STRING;
      }
      if (c === 123 || c === 91 || c === 125 || c === 93 || c === 44 || c === 58) { at = s.end = i + 1; return c; }
      let j = i + 1;
      if ((c >= 48 && c <= 57) || c === 45) {
        for (let d; j < n && (d = text.charCodeAt(j)) < 128 && NUMBER_CHAR[d] === 1; ) j++;
        at = s.end = j;
        return T_NUMBER;
      }
      if (c === 116 || c === 102 || c === 110) {
        for (let d; j < n && (d = text.charCodeAt(j)) < 128 && LETTER[d] === 1; ) j++;
        at = s.end = j;
        return T_LITERAL;
      }
    }
    at = s.start = s.end = n;
    return T_END;
  };
  s.escaped = () => {
    if (backslash < s.start) {
      const b = text.indexOf('\\', s.start);
      backslash = b < 0 ? n : b;
    }
    return backslash < s.end;
  };
  return s;
}
const numberKept = (t) => String(Number(t)) === t;
const stringKept = (t) => !t.includes('\\') || JSON.stringify(JSON.parse(t)) === t;
function anyChanged(text) {
  const s = scanner(text);
  for (let t = s.next(); t !== T_END; t = s.next()) {
    if (t === T_STRING) {
      if (s.escaped() && !stringKept(text.slice(s.start, s.end))) return true;
    } else if (t === T_NUMBER && !numberKept(text.slice(s.start, s.end))) return true;
  }
  return false;
}
function sentTokens(text) {
  if (!anyChanged(text)) return undefined;
  const stack = [];
  let root;
  const longs = new Map();
  const ambiguous = new Set();
  const put = (v) => {
    const top = stack[stack.length - 1];
    if (!top) { root = v; return; }
    if (v === undefined) {
      if (Array.isArray(top.node)) top.node.push(undefined);
      return;
    }
    top.used = true;
    if (Array.isArray(top.node)) top.node.push(v);
    else if (top.key !== undefined) top.node.set(top.key, v);
  };
  const s = scanner(text);
  for (let t = s.next(); t !== T_END; t = s.next()) {
    if (t === T_STRING) {
      const top = stack[stack.length - 1];
      if (top && !Array.isArray(top.node) && top.expectKey) {
        const raw = text.slice(s.start + 1, s.end - 1);
        top.key = s.escaped() ? JSON.parse('"' + raw + '"') : raw;
        top.expectKey = false;
      } else {
        const sent = s.escaped() ? text.slice(s.start, s.end) : undefined;
        put(sent !== undefined && !stringKept(sent) ? sent : undefined);
      }
    } else if (t === T_NUMBER) {
      const sent = text.slice(s.start, s.end);
      const kept = numberKept(sent);
      if (!kept && /^-?\d+$/.test(sent)) {
        const v = Number(sent);
        if (longs.has(v) && longs.get(v) !== sent) ambiguous.add(v);
        longs.set(v, sent);
      }
      put(kept ? undefined : sent);
    } else if (t === 123 || t === 91) {
      stack.push({ node: t === 123 ? new Map() : [], key: undefined, expectKey: t === 123, used: false });
    } else if (t === 125 || t === 93) {
      const f = stack.pop();
      if (!f) return undefined;
      put(f.used ? f.node : undefined);
    } else if (t === 44) {
      const top = stack[stack.length - 1];
      if (top && !Array.isArray(top.node)) top.expectKey = true;
    } else if (t === T_LITERAL) put(undefined);
    else if (t === T_UNTERMINATED) return undefined;
  }
  for (const v of ambiguous) longs.delete(v);
  return { tree: root, longs };
}

function decode(bytes, coding, maxBytes) {
  if (coding === 'identity' || bytes.length === 0) return bytes;
  const o = { maxOutputLength: maxBytes };
  if (coding === 'gzip') return zlib.gunzipSync(bytes, o);
  if (coding === 'deflate') return zlib.inflateSync(bytes, o);
  return zlib.brotliDecompressSync(bytes, o);
}

// Long strings cut out of the value, iteratively (the value may nest up to maxDepth); a node's
// path is built only for the strings cut (each stack entry links to its parent).
function pathOf(node, key) {
  const path = [key];
  for (let n = node; n.parent; n = n.parent) path.push(n.key);
  return path.reverse();
}

function cutLongs(value, cut, strings) {
  const longs = [];
  const stack = [{ v: value, parent: undefined, key: undefined }];
  while (stack.length) {
    const node = stack.pop();
    const v = node.v;
    const isArr = Array.isArray(v);
    for (const k of Object.keys(v)) {
      const x = v[k];
      const key = isArr ? Number(k) : k;
      if (typeof x === 'string' && x.length > cut) {
        longs.push({ path: pathOf(node, key), length: x.length });
        strings.push(x);
        v[k] = '';
      } else if (x !== null && typeof x === 'object') stack.push({ v: x, parent: node, key });
    }
  }
  return longs;
}

// The body with its content coding undone, or the refusal to answer with.
function decoded(m) {
  try {
    return { bytes: decode(Buffer.from(m.bytes, 0, m.length), m.coding, m.maxBytes) };
  } catch (e) {
    if (e && e.code === 'ERR_BUFFER_TOO_LARGE') return { refusal: { id: m.id, ok: false, kind: 'too_large', message: String(e.message) } };
    return { refusal: { id: m.id, ok: false, kind: 'decode', message: String(e && e.message) } };
  }
}

// Cut the long strings out of 'value' and keep them for the 'piece' requests of m.id.
function handOver(m, value) {
  const strings = [];
  let longs = [];
  if (typeof value === 'string' && value.length > m.cut) {
    longs = [{ path: [], length: value.length }];
    strings.push(value);
    value = '';
  } else if (value !== null && typeof value === 'object') longs = cutLongs(value, m.cut, strings);
  if (strings.length) pending.set(m.id, { strings, s: 0, at: 0, piece: m.piece });
  return { value, longs };
}

function parse(m) {
  const d = decoded(m);
  if (d.refusal) return d.refusal;
  const text = engineText(d.bytes);
  const hasMarker = m.markers.some((w) => text.includes(w));
  if (!hasMarker && !m.always) return { id: m.id, ok: true, hasMarker, parsed: false };
  if (text.trim() === '') return { id: m.id, ok: true, hasMarker, parsed: true, value: undefined, longs: [] };
  if (jsonDepth(text, m.maxDepth) > m.maxDepth) return { id: m.id, ok: false, kind: 'deep', message: 'too deep' };
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { id: m.id, ok: false, kind: 'syntax', message: String(e && e.message) };
  }
  const tokens = m.tokens ? sentTokens(text) : undefined;
  const out = handOver(m, value);
  return { id: m.id, ok: true, hasMarker, parsed: true, value: out.value, longs: out.longs, tokens };
}

// NDJSON (_msearch): the same rules as search/msearch.ts's parseMsearch — lines split on "\n", one
// trailing "\r" dropped, blank lines between pairs skipped, a header a JSON object followed by a
// body line — any break of them is 'syntax' (the caller forwards the body and the engine says
// what is wrong). Lines are found in the bytes, so each item's lines go back as byte ranges
// ('lines': header start, end, body start, end per item) into the bytes the caller holds (the
// decoded ones, handed over too, when a content coding was undone); parsed values go back only
// for items whose lines hold a marker word (every item with 'always'): the others are forwarded
// as their bytes.
function ndjson(m) {
  const d = decoded(m);
  if (d.refusal) return d.refusal;
  const bytes = d.bytes;
  const hasMarker = m.markers.some((w) => bytes.includes(w));
  if (!hasMarker && !m.always) return { id: m.id, ok: true, hasMarker, parsed: false };
  if (jsonDepth(engineText(bytes), m.maxDepth) > m.maxDepth) return { id: m.id, ok: false, kind: 'deep', message: 'too deep' };
  const ranges = [];
  for (let s = 0; s <= bytes.length; ) {
    let nl = bytes.indexOf(10, s);
    if (nl < 0) nl = bytes.length;
    let e = nl;
    if (e > s && bytes[e - 1] === 13) e--;
    ranges.push(s, e);
    s = nl + 1;
  }
  const n = ranges.length / 2;
  const line = (k) => engineText(bytes, ranges[2 * k], ranges[2 * k + 1]);
  const syntax = (message) => ({ id: m.id, ok: false, kind: 'syntax', message });
  const parsed = (text, k) => {
    try {
      return { v: JSON.parse(text) };
    } catch (e) {
      return { error: '_msearch line ' + (k + 1) + ' is not valid JSON: ' + String(e && e.message) };
    }
  };
  const lines = [];
  const values = [];
  for (let i = 0; i < n; ) {
    const h = line(i);
    if (h.trim() === '') {
      i++;
      continue;
    }
    const header = parsed(h, i);
    if (header.error) return syntax(header.error);
    if (!header.v || typeof header.v !== 'object' || Array.isArray(header.v)) return syntax('_msearch line ' + (i + 1) + ': a header must be a JSON object');
    const b = i + 1 < n ? line(i + 1) : '';
    if (b.trim() === '') return syntax('_msearch line ' + (i + 1) + ': a header must be followed by a search body');
    const body = parsed(b, i + 1);
    if (body.error) return syntax(body.error);
    const item = lines.length / 4;
    lines.push(ranges[2 * i], ranges[2 * i + 1], ranges[2 * i + 2], ranges[2 * i + 3]);
    if (m.always || m.markers.some((w) => h.includes(w) || b.includes(w))) values.push({ i: item, header: header.v, body: body.v });
    i += 2;
  }
  const out = handOver(m, values);
  const reply = { id: m.id, ok: true, hasMarker, parsed: true, value: out.value, longs: out.longs, lines: Uint32Array.from(lines).buffer };
  if (m.coding !== 'identity') {
    const own = new Uint8Array(bytes.length); // its own memory, to transfer (zlib's output may share a pool)
    own.set(bytes);
    reply.decoded = own.buffer;
  }
  return reply;
}

function nextPiece(id) {
  const p = pending.get(id);
  if (!p) return { id, ok: false, kind: 'decode', message: 'no pieces left for ' + id };
  const str = p.strings[p.s];
  const piece = str.slice(p.at, p.at + p.piece);
  p.at += p.piece;
  if (p.at >= str.length) {
    p.s++;
    p.at = 0;
    if (p.s >= p.strings.length) pending.delete(id);
  }
  return { id, ok: true, piece };
}

parentPort.on('message', (m) => {
  if (m.op === 'parse' || m.op === 'ndjson') {
    const reply = m.op === 'parse' ? parse(m) : ndjson(m);
    const transfer = [reply.lines, reply.decoded].filter(Boolean);
    // the bytes go back as they came (transferred, not copied): a search forwards them upstream
    if (m.giveBack) {
      reply.bytes = m.bytes;
      transfer.push(m.bytes);
    }
    parentPort.postMessage(reply, transfer);
  }
  else if (m.op === 'piece') parentPort.postMessage(nextPiece(m.id));
  else if (m.op === 'drop') pending.delete(m.id);
  else if (m.op === 'stringify') {
    let bytes;
    try {
      let text = JSON.stringify(m.value, null, m.indent || undefined);
      // numbers kept as the engine wrote them: their placeholders replaced, as stringifyAnswer does
      if (m.kept.length) text = text.replace(new RegExp('"' + m.nonce + '(\\d+)"', 'g'), (_, i) => m.kept[Number(i)]);
      bytes = new TextEncoder().encode(m.indent ? text + '\n' : text);
    } catch (e) {
      parentPort.postMessage({ id: m.id, ok: false, message: String((e && e.message) || e) });
      return;
    }
    const ab = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    parentPort.postMessage({ id: m.id, ok: true, bytes: ab, length: bytes.length }, [ab]);
  }
});
`;
