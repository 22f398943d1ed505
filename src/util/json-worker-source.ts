/**
 * The code of the JSON parsing worker thread, as plain JavaScript (CommonJS) started with
 * `new Worker(source, { eval: true })` — a string for the reasons given in
 * models/session-worker-source.ts (tsx, vitest and dist/ all start it the same way). Internal to
 * json-worker.ts: nothing else may start it or talk to it.
 *
 * Why a worker: a 31 MiB body (under server.maxJsonBodyBytes) cost the main thread ~0.2–0.6 s of
 * UTF-8 decoding and ~0.15–0.25 s of JSON.parse, in one piece each, while health waited (issue 13:
 * health p99 697 ms). Here the whole proportional part runs: the content coding undone (bounded),
 * UTF-8 decoding, the marker test, the depth scan (the same rule as util/json-depth.ts, which
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
 *   → { op: 'parse', id, bytes (ArrayBuffer, transferred), length, coding, maxBytes, maxDepth, markers, always, cut, piece, giveBack }
 *       (every answer to a parse carries `bytes` back, transferred, when `giveBack`)
 *       ← { id, ok: true, hasMarker, parsed: false }                     (no marker and not `always`)
 *       ← { id, ok: true, hasMarker, parsed: true, value, longs: [{ path, length }] }
 *       ← { id, ok: false, kind: 'too_large' | 'decode' | 'deep' | 'syntax', message }
 *   → { op: 'piece', id }   ← { id, ok: true, piece }  (the next piece of the long strings, in order)
 *   → { op: 'drop', id }    (forget what is left of `id`; no answer)
 */
export const JSON_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');
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

function parse(m) {
  let bytes = Buffer.from(m.bytes, 0, m.length);
  try {
    bytes = decode(bytes, m.coding, m.maxBytes);
  } catch (e) {
    if (e && e.code === 'ERR_BUFFER_TOO_LARGE') return { id: m.id, ok: false, kind: 'too_large', message: String(e.message) };
    return { id: m.id, ok: false, kind: 'decode', message: String(e && e.message) };
  }
  const text = bytes.toString('utf8');
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
  const strings = [];
  let longs = [];
  if (typeof value === 'string' && value.length > m.cut) {
    longs = [{ path: [], length: value.length }];
    strings.push(value);
    value = '';
  } else if (value !== null && typeof value === 'object') longs = cutLongs(value, m.cut, strings);
  if (strings.length) pending.set(m.id, { strings, s: 0, at: 0, piece: m.piece });
  return { id: m.id, ok: true, hasMarker, parsed: true, value, longs };
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
  if (m.op === 'parse') {
    const reply = parse(m);
    // the bytes go back as they came (transferred, not copied): a search forwards them upstream
    if (m.giveBack) {
      reply.bytes = m.bytes;
      parentPort.postMessage(reply, [m.bytes]);
    } else parentPort.postMessage(reply);
  }
  else if (m.op === 'piece') parentPort.postMessage(nextPiece(m.id));
  else if (m.op === 'drop') pending.delete(m.id);
});
`;
