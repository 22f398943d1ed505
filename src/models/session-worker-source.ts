/**
 * The code of the inference worker thread, as plain JavaScript (CommonJS) started with
 * `new Worker(source, { eval: true })`. Internal to session.ts / session-worker.ts: nothing else
 * may start it or talk to it.
 *
 * Why a string and not a `.ts`/`.js` file next to this one: the same source must start under tsx
 * (src/*.ts), under vitest (whose TS transform does not reach a Worker's entry file) and from the
 * compiled dist/ (tsc copies no .js/.mjs files), and a Function#toString() of a transpiled function
 * may carry bundler helpers (`__name`) that do not exist in the worker. A string needs none of that.
 *
 * Protocol (one message per request, answered once, by `seq`):
 *   → { seq, op: 'load', path, options, nice? }         ← { seq, ok, value: { sid, inputNames, outputNames } }
 *   → { seq, op: 'run', sid, feeds, outputs?, select? } ← { seq, ok, value: { name: { type, dims, data } } }
 *     (a feed is { type, dims, data } or { type, dims, parts }: a float32 batch as its parts in order)
 *   → { seq, op: 'release', sid }                  ← { seq, ok }
 *   any failure                                    ← { seq, ok: false, message, name, code? } (code: an errno code such as EMFILE)
 * Tensors travel as { type, dims, data } (an input over shared memory is copied into a reused
 * staging array first: onnxruntime-node refuses shared memory); output buffers are transferred (they are fresh, the
 * worker never touches them again). It must never post anything unasked: the main side counts
 * pending requests to know when the worker may be unref'd or terminated without cutting a run.
 * `select` (row-select.ts's RowSelect) keeps only the rows the caller reads, here, before anything
 * crosses: `keptRows`/`gatherRows`/`selectRows` below are row-select.ts's algorithm, line for line
 * (test/model/detector-rows-in-worker.test.ts compares the two paths on real photos).
 */
export const INFERENCE_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
// named for /proc and top -H (bench:load --threads); the onnxruntime threads it starts inherit the name
try { require('node:fs').writeFileSync('/proc/thread-self/comm', 'vlr-inference'); } catch (e) {}
const sessions = new Map();
let nextSid = 1;
let nice = 0;

function keptRows(by, width, threshold) {
  const rows = by.length / width;
  const keep = new Int32Array(rows);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    const o = r * width;
    for (let i = 0; i < width; i++) {
      const v = by[o + i];
      if (v > m) m = v;
    }
    if (m > threshold) keep[k++] = r;
  }
  return keep.slice(0, k);
}

function gatherRows(data, rows, width) {
  const out = new Float32Array(rows.length * width);
  for (let j = 0; j < rows.length; j++) out.set(data.subarray(rows[j] * width, (rows[j] + 1) * width), j * width);
  return out;
}

function selectRows(outputs, sel) {
  const res = Object.assign({}, outputs);
  for (const g of sel.groups) {
    const by = outputs[g.by];
    if (!by || !(by.data instanceof Float32Array)) continue;
    const rows = keptRows(by.data, g.width, sel.threshold);
    const total = by.data.length / g.width;
    for (const name of [g.by].concat(g.with)) {
      const t = outputs[name];
      if (!t || !(t.data instanceof Float32Array)) continue;
      const w = t.data.length / total;
      res[name] = { type: 'float32', dims: [rows.length, w], data: gatherRows(t.data, rows, w) };
    }
    res[g.by + '#rows'] = { type: 'int32', dims: [rows.length], data: rows };
  }
  return res;
}

// Staging arrays for inputs that arrive as views of shared memory (input-pool.ts), which
// onnxruntime-node refuses: copied into one of these, reused run after run. Free ones are kept up
// to STAGING_MAX_BYTES in all, as the pool they mirror keeps its free buffers: bounded by count per
// length only, every batch size of every image model stayed (1–16 stacked EfficientNet inputs, 110
// MB a copy, up to 4 copies each) for the life of the worker, which a busy server never stops —
// resident memory crept up run after run (held-out probe round 13d). A run takes the smallest free
// array that holds it, as a view of its first values (onnxruntime reads exactly the view): kept by
// exact length, batches of varying sizes (4 + 28, then 32, in bench:features) found none of their
// length and a 26 MB array was made afresh run after run; when one more would not fit, smaller ones
// make room for a larger (it serves more runs).
const STAGING_MAX_BYTES = 48 * 1024 * 1024;
const STAGING_MAX_ARRAYS = 8;
// free arrays by their length (each list's arrays whole, of that length)
const staging = new Map();
let stagingBytes = 0;
let stagingArrays = 0;
function staged(length) {
  let best = 0;
  for (const k of staging.keys()) if (k >= length && (!best || k < best)) best = k;
  if (!best) return new Float32Array(length);
  const list = staging.get(best);
  const a = list.pop();
  if (!list.length) staging.delete(best);
  stagingBytes -= a.byteLength;
  stagingArrays--;
  return best === length ? a : a.subarray(0, length);
}
function smallestFree() {
  let k = 0;
  for (const x of staging.keys()) if (!k || x < k) k = x;
  return k;
}
function unstage(view) {
  const a = view.byteLength === view.buffer.byteLength ? view : new Float32Array(view.buffer);
  // make room by dropping smaller free arrays, never a larger one
  for (let k = smallestFree(); k && k < a.length && (stagingBytes + a.byteLength > STAGING_MAX_BYTES || stagingArrays >= STAGING_MAX_ARRAYS); k = smallestFree()) {
    const list = staging.get(k);
    const gone = list.pop();
    if (!list.length) staging.delete(k);
    stagingBytes -= gone.byteLength;
    stagingArrays--;
  }
  if (stagingBytes + a.byteLength > STAGING_MAX_BYTES || stagingArrays >= STAGING_MAX_ARRAYS) return;
  const list = staging.get(a.length) || [];
  list.push(a);
  staging.set(a.length, list);
  stagingBytes += a.byteLength;
  stagingArrays++;
}
function stage(data) {
  const a = staged(data.length);
  a.set(data);
  return a;
}
// a batch sent as its parts (session-worker.ts StackedFeed: each image a view of shared memory),
// copied one after the other into one staging array: the main thread never stacks it first
function stageParts(parts, dims) {
  let length = 0;
  for (const p of parts) {
    if (!(p instanceof Float32Array)) throw new Error('a stacked input part is not a Float32Array');
    length += p.length;
  }
  const want = dims.reduce((x, y) => x * y, 1);
  if (length !== want) throw new Error('stacked input parts hold ' + length + ' values, dims [' + dims.join(', ') + '] need ' + want);
  const a = staged(length);
  let o = 0;
  for (const p of parts) {
    a.set(p, o);
    o += p.length;
  }
  return a;
}

function session(sid) {
  const s = sessions.get(sid);
  if (!s) throw new Error('no session ' + sid + ' in the inference worker (released or never loaded)');
  return s;
}

async function handle(m) {
  switch (m.op) {
    case 'load': {
      // Lower this thread's priority before the session starts its threads (they inherit it on
      // Linux, where nice is per thread). Raising nice needs no privilege; a refusal is ignored.
      if (typeof m.nice === 'number' && m.nice > nice) {
        try {
          require('node:os').setPriority(0, m.nice);
          nice = m.nice;
        } catch (e) {}
      }
      const s = await ort.InferenceSession.create(m.path, m.options);
      const sid = nextSid++;
      sessions.set(sid, s);
      return { value: { sid, inputNames: s.inputNames.slice(), outputNames: s.outputNames.slice() } };
    }
    case 'run': {
      const s = session(m.sid);
      const feeds = {};
      const inStaging = [];
      for (const [name, t] of Object.entries(m.feeds)) {
        let data = t.data;
        if (t.parts) inStaging.push((data = stageParts(t.parts, t.dims)));
        else if (data instanceof Float32Array && data.buffer instanceof SharedArrayBuffer) inStaging.push((data = stage(data)));
        feeds[name] = new ort.Tensor(t.type, data, t.dims);
      }
      let ran;
      try {
        ran = m.outputs ? await s.run(feeds, m.outputs) : await s.run(feeds);
      } finally {
        for (const a of inStaging) unstage(a);
      }
      for (const [name, t] of Object.entries(ran)) {
        if (!t || !t.dims) throw new Error('output ' + name + ' is not a tensor (only tensor outputs are supported)');
      }
      const out = m.select ? selectRows(ran, m.select) : ran;
      const value = {};
      const transfer = new Set();
      for (const [name, t] of Object.entries(out)) {
        value[name] = { type: t.type, dims: Array.from(t.dims), data: t.data };
        if (t.data && t.data.buffer instanceof ArrayBuffer) transfer.add(t.data.buffer);
      }
      return { value, transfer: [...transfer] };
    }
    case 'release': {
      const s = sessions.get(m.sid);
      sessions.delete(m.sid);
      if (s) await s.release();
      return { value: undefined };
    }
    default:
      throw new Error('unknown inference worker op ' + m.op);
  }
}

parentPort.on('message', (m) => {
  handle(m).then(
    ({ value, transfer }) => {
      try {
        parentPort.postMessage({ seq: m.seq, ok: true, value }, transfer || []);
      } catch (e) {
        // a buffer that cannot be transferred (external memory) is copied instead
        parentPort.postMessage({ seq: m.seq, ok: true, value });
      }
    },
    (e) => parentPort.postMessage({ seq: m.seq, ok: false, message: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : 'Error', code: e && typeof e.code === 'string' ? e.code : undefined }),
  );
});
`;
