/**
 * Sharp's decode, resizes and float planes in a worker thread of its own ("vlrerank-prep",
 * prep-thread.ts), so a photo's pixels never become the main isolate's external memory. Internal
 * to image.ts.
 *
 * Why (perf21): each photo's decode (0.92 MB for a COCO photo) and two resizes (0.7 MB) were new
 * buffers on the main thread — ≈ 80 MB a cold 50-photo request — and V8 answered them with 6–8
 * mark-compacts of the whole ≈ 31 MB main heap a request (marking steps and pauses on the thread
 * that serves every request). Here the pixels are decoded and kept in the worker, whose heap is a
 * few MB, under an id; each model's tensor is written by the worker into the shared buffer it is
 * handed (the models' input pool: no copy back); OCR's detector planes are written the same way and
 * its text boxes are cut out there (perf22: small crops come back); the pixels are dropped when the
 * main side says so, or when the main side's handle is collected (a request that failed or was
 * aborted part-way).
 *
 * The thread runs the main thread's own modules (sharp-steps.ts, models/pixels.ts, ocr-crop.ts):
 * from dist/ it loads prep-thread.js; from src/ (tsx, vitest) it loads prep-thread.ts through tsx's
 * API (a dev dependency, there whenever src/ runs). It is unref'd whenever nothing is pending, so it
 * never keeps a process alive; if it dies, every pending call fails with the reason and the next
 * call starts a new one.
 *
 * Protocol (answered once by `seq`, except `drop`):
 *   → { seq, op: 'decode', id, bytes, maxPixels }          ← { seq, ok, value: { width, height, channels } }
 *   → { seq, op: 'planes', id, rows?, geo, src, table, into } ← { seq, ok, value: {} } (`into`: a Float32Array over shared memory)
 *   → { seq, op: 'decodePlanes', bytes, maxPixels, width, height, geo, src, table, into } ← { seq, ok, value: {} } (decode and resize in one sharp call, nothing held)
 *   → { seq, op: 'crops', id, rows?, quads }                ← { seq, ok, value: [{ data, width, height }] } (ocr-crop.ts cropQuad of each; transferred)
 *   (`rows`: the band [top, bottom) of the image a call reads — a tall page's, ocr-bands.ts)
 *   → { op: 'drop', id }                                   (no answer)
 *   → { seq, op: 'count' }                                 ← { seq, ok, value: images held } (tests)
 *   any failure                                            ← { seq, ok: false, message } (sharp's message: image.ts translates it)
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { vlrError } from '../../errors.js';
import type { Point } from '../../models/encoders/ocr-boxes.js';
import type { RgbImage, Rows } from '../../models/encoders/ocr-crop.js';
import type { ResizeWindow } from './sharp-steps.js';
import { workNice } from '../../util/work-nice.js';

const FROM_SOURCE = fileURLToPath(import.meta.url).endsWith('.ts');
const THREAD = new URL(FROM_SOURCE ? './prep-thread.ts' : './prep-thread.js', import.meta.url);

/** The thread's entry: the compiled file, or (src/ under tsx or vitest) a line that loads the TypeScript through tsx. */
function entry(): { code: string | URL; eval: boolean } {
  if (!FROM_SOURCE) return { code: THREAD, eval: false };
  const tsx = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const file = JSON.stringify(THREAD.href);
  return { code: `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${file}, ${file}))`, eval: true };
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

let worker: Worker | undefined;
let seq = 0;
let nextId = 1;
const pending = new Map<number, Pending>();
/** A held image whose handle the main side collected without dropping it (a failed or aborted request). */
const orphans = new FinalizationRegistry<number>((id) => drop(id));

function start(): Worker {
  const { code, eval: isEval } = entry();
  const w = new Worker(code, { eval: isEval, execArgv: [], name: 'vlrerank-prep' });
  let answered = false; // 'online' comes before the entry file is loaded: a thread that cannot load it is online too
  const fail = (e: unknown) => {
    if (worker !== w) return;
    worker = undefined; // the held images went with it: their next call fails with this reason
    const calls = [...pending.values()];
    pending.clear();
    const err = workerFault(e, answered);
    for (const p of calls) p.reject(err);
  };
  w.on('message', (m: { seq: number; ok: boolean; value?: unknown; message?: string }) => {
    answered = true;
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

/**
 * The thread failing is vlrerank's fault, never the image's: it was reported per document as
 * VLR_MEDIA_UNSUPPORTED "image cannot be decoded (corrupt or truncated): Cannot find module
 * …/prep-thread.js" when an app bundled vlrerank (esbuild) and the thread's file was not beside the
 * bundle (held-out probe round 23c). One that never started names its entry and what to do.
 */
function workerFault(e: unknown, answered: boolean): Error {
  const why = e instanceof Error ? e.message : String(e);
  if (!answered) {
    const where = fileURLToPath(THREAD);
    return vlrError('VLR_CONFIG_INVALID', `the image worker could not start (${where}): ${why} — vlrerank reads its worker, model manifests and calibration from its installed package folder; an app bundling its code must keep vlrerank external (esbuild --external:vlrerank or --packages=external)`, { cause: e });
  }
  return vlrError('VLR_INTERNAL', `the image worker stopped: ${why}`, { cause: e });
}

function call<T>(msg: Record<string, unknown>): Promise<T> {
  const w = (worker ??= start());
  const s = ++seq;
  w.ref();
  return new Promise<T>((resolve, reject) => {
    pending.set(s, { resolve: resolve as (v: unknown) => void, reject });
    // the nice of model work (util/work-nice.ts): the thread raises itself and sharp's threads to it
    w.postMessage({ ...msg, seq: s, nice: workNice() });
  });
}

function drop(id: number): void {
  worker?.postMessage({ op: 'drop', id });
}

/** The handle of an image decoded and held in the worker. */
export interface HeldPixels {
  readonly id: number;
}

/** Decode `bytes` in the worker (sharp-steps.ts decodeSteps); the pixels stay there under the returned handle. */
export async function heldDecode(bytes: Buffer, maxPixels: number): Promise<{ held: HeldPixels; width: number; height: number; channels: number }> {
  const id = nextId++;
  const r = await call<{ width: number; height: number; channels: number }>({ op: 'decode', id, bytes, maxPixels });
  const held: HeldPixels = { id };
  orphans.register(held, id, held);
  return { held, ...r };
}

/** Resize a held image (or the band `rows` of it) to `geo`'s window and write its planes (models/pixels.ts writePlanes) into `into` (shared memory). */
export async function heldPlanes(held: HeldPixels, geo: ResizeWindow, src: readonly number[], table: Float32Array, into: Float32Array, rows?: Rows): Promise<void> {
  await call({ op: 'planes', id: held.id, rows, geo, src, table, into });
}

/** Decode `bytes` (`width`×`height` once decoded) and write `geo`'s window's planes into `into` in one sharp call (sharp-steps.ts decodedResized): nothing is held. */
export async function decodedPlanes(bytes: Buffer, maxPixels: number, width: number, height: number, geo: ResizeWindow, src: readonly number[], table: Float32Array, into: Float32Array): Promise<void> {
  await call({ op: 'decodePlanes', bytes, maxPixels, width, height, geo, src, table, into });
}

/** OCR's text boxes cut out of a held image or the band `rows` of it (ocr-crop.ts cropQuad of each quad, in the band's coordinates). */
export function heldCrops(held: HeldPixels, quads: Array<[Point, Point, Point, Point]>, rows?: Rows): Promise<RgbImage[]> {
  return call<RgbImage[]>({ op: 'crops', id: held.id, rows, quads });
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
