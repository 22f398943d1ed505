/**
 * Sharp's decode, resizes and CHW float conversion in a worker isolate of its own ("vlrerank-prep"),
 * so a cold photo's pixels never become the main isolate's external memory. Internal to image.ts.
 *
 * Why (perf21): each photo's decode (0.92 MB for a COCO photo) and two resizes (0.7 MB) were new
 * buffers on the main thread — ≈ 80 MB a cold 50-photo request — and V8 answered them with 6–8
 * mark-compacts of the whole ≈ 31 MB main heap a request (marking steps and pauses on the thread
 * that serves every request). Here the pixels are decoded and kept in the worker, whose heap is a
 * few MB, under an id; each model's tensor is written by the worker into the shared buffer it is
 * handed (the models' input pool: no copy back), and the pixels are dropped when the main side says
 * so, or when the main side's handle is collected (a request that failed or was aborted part-way).
 *
 * The worker is a string (`eval: true`) for the reasons session-worker-source.ts gives (tsx, vitest
 * and dist/ alike); it requires sharp by the path resolved here. It is unref'd whenever nothing is
 * pending, so it never keeps a process alive; if it dies, every pending call fails with the reason
 * and the next call starts a new one.
 *
 * Protocol (answered once by `seq`, except `drop`):
 *   → { seq, op: 'decode', id, bytes, maxPixels }          ← { seq, ok, value: { width, height, channels } }
 *   → { seq, op: 'prep', id, geo, coef, into }             ← { seq, ok, value: {} } (`into`: a Float32Array over shared memory)
 *   → { op: 'drop', id }                                   (no answer)
 *   → { seq, op: 'count' }                                 ← { seq, ok, value: images held } (tests)
 *   any failure                                            ← { seq, ok: false, message } (sharp's message: image.ts translates it)
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';

const SHARP_PATH = createRequire(import.meta.url).resolve('sharp');

const SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const sharp = require(workerData.sharpPath);
sharp.cache(false);
const held = new Map();
async function decode(m) {
  // image.ts decodeImage's pipeline, step for step (probe and CMYK stay there)
  const { data, info } = await sharp(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), { limitInputPixels: m.maxPixels, failOn: 'warning', pages: 1, page: 0, ignoreIcc: true })
    .rotate().flatten({ background: '#ffffff' }).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels === 3) held.set(m.id, { data, width: info.width, height: info.height });
  return { width: info.width, height: info.height, channels: info.channels };
}
async function prep(m) {
  // image.ts resizeRgb + toChwFloat, with the geometry and coefficients computed there
  const img = held.get(m.id);
  if (!img) throw new Error('decoded image ' + m.id + ' was already dropped');
  const g = m.geo;
  let pipe = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 }, limitInputPixels: false });
  if (g.resizeWidth !== img.width || g.resizeHeight !== img.height) pipe = pipe.resize(g.resizeWidth, g.resizeHeight, { kernel: g.kernel, fit: 'fill' });
  if (g.resizeWidth !== g.width || g.resizeHeight !== g.height) pipe = pipe.extract({ left: g.left, top: g.top, width: g.width, height: g.height });
  const { data: rgb, info } = await pipe.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== g.width || info.height !== g.height || info.channels !== 3) throw new Error('resize produced ' + info.width + '×' + info.height + '×' + info.channels + ', expected ' + g.width + '×' + g.height + '×3');
  const out = m.into, plane = g.width * g.height, c = m.coef;
  const s0 = c.src[0], s1 = c.src[1], s2 = c.src[2], a0 = c.a[0], a1 = c.a[1], a2 = c.a[2], b0 = c.b[0], b1 = c.b[1], b2 = c.b[2];
  const p1 = plane, p2 = 2 * plane;
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    out[i] = rgb[j + s0] * a0 + b0;
    out[p1 + i] = rgb[j + s1] * a1 + b1;
    out[p2 + i] = rgb[j + s2] * a2 + b2;
  }
  return {};
}
parentPort.on('message', (m) => {
  if (m.op === 'drop') return void held.delete(m.id);
  (m.op === 'decode' ? decode(m) : m.op === 'count' ? Promise.resolve(held.size) : prep(m)).then(
    (value) => parentPort.postMessage({ seq: m.seq, ok: true, value }),
    (e) => parentPort.postMessage({ seq: m.seq, ok: false, message: String((e && e.message) || e) }),
  );
});
`;

/** Where a resize lands (image.ts resizeGeometry) plus the model's input size and sharp's kernel. */
export interface PrepGeometry {
  resizeWidth: number;
  resizeHeight: number;
  left: number;
  top: number;
  width: number;
  height: number;
  kernel: string;
}

/** out[c] = rgb[src[c]] · a[c] + b[c], channel by channel (image.ts toChwFloat's folded form). */
export interface ChwCoefficients {
  src: number[];
  a: number[];
  b: number[];
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

let worker: Worker | undefined;
let seq = 0;
let nextId = 1;
const pending = new Map<number, Pending>();
/** A held image whose handle the main side collected without dropping it (a failed or aborted request). */
const orphans = new FinalizationRegistry<number>((id) => drop(id));

function start(): Worker {
  const w = new Worker(SOURCE, { eval: true, execArgv: [], name: 'vlrerank-prep', workerData: { sharpPath: SHARP_PATH } });
  const fail = (e: unknown) => {
    if (worker !== w) return;
    worker = undefined; // the held images went with it: their next prep fails with this reason
    const calls = [...pending.values()];
    pending.clear();
    for (const p of calls) p.reject(e instanceof Error ? e : new Error(`the image worker stopped (${String(e)})`));
  };
  w.on('message', (m: { seq: number; ok: boolean; value?: unknown; message?: string }) => {
    const p = pending.get(m.seq);
    if (!p) return;
    pending.delete(m.seq);
    if (pending.size === 0) w.unref();
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(m.message));
  });
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the image worker exited (code ${code})`)));
  w.unref();
  return w;
}

function call<T>(msg: Record<string, unknown>): Promise<T> {
  const w = (worker ??= start());
  const s = ++seq;
  w.ref();
  return new Promise<T>((resolve, reject) => {
    pending.set(s, { resolve: resolve as (v: unknown) => void, reject });
    w.postMessage({ ...msg, seq: s });
  });
}

function drop(id: number): void {
  worker?.postMessage({ op: 'drop', id });
}

/** The handle of an image decoded and held in the worker. */
export interface HeldPixels {
  readonly id: number;
}

/** Decode `bytes` in the worker (decodeImage's pipeline); the pixels stay there under the returned handle. */
export async function heldDecode(bytes: Buffer, maxPixels: number): Promise<{ held: HeldPixels; width: number; height: number; channels: number }> {
  const id = nextId++;
  const r = await call<{ width: number; height: number; channels: number }>({ op: 'decode', id, bytes, maxPixels });
  const held: HeldPixels = { id };
  orphans.register(held, id, held);
  return { held, ...r };
}

/** Resize a held image and write its CHW floats into `into` (shared memory, the model's input pool). */
export async function heldPrep(held: HeldPixels, geo: PrepGeometry, coef: ChwCoefficients, into: Float32Array): Promise<void> {
  await call({ op: 'prep', id: held.id, geo, coef, into });
}

/** The worker may forget a held image (every tensor wanted from it has been written). */
export function heldDrop(held: HeldPixels): void {
  orphans.unregister(held);
  drop(held.id);
}

/** How many images the worker holds (0 when it is not running): tests check that every request lets go of its pixels. */
export async function heldCount(): Promise<number> {
  return worker ? call<number>({ op: 'count' }) : 0;
}
