/**
 * The image worker's thread ("vlrerank-prep"; started and spoken to by prep-worker.ts only): decodes
 * photos and keeps their pixels under an id, writes each model's float planes into the shared
 * buffer it is handed, and cuts OCR's text boxes out of the full-resolution pixels. It runs the
 * same code as the main thread (sharp-steps.ts, models/pixels.ts, ocr-crop.ts), so its outputs are
 * byte-equal to that thread's. Protocol: prep-worker.ts.
 */
import { readdirSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { cropQuad, rowBand, type RgbImage, type Rows } from '../../models/encoders/ocr-crop.js';
import type { Point } from '../../models/encoders/ocr-boxes.js';
import { writePlanes } from '../../models/pixels.js';
import { decodedResized, decodeSteps, resized, type ResizeWindow } from './sharp-steps.js';
import { nameThisThread, raiseNice, raiseThreadsNamed } from '../../util/work-nice.js';

interface Held {
  data: Buffer;
  width: number;
  height: number;
}

const held = new Map<number, Held>();
const port = parentPort!;
nameThisThread('vlr-prep');

/**
 * This thread and the libvips worker threads sharp starts do only rerank and ingest work: they run
 * at the nice of model work (util/work-nice.ts), which each call carries, so the event loop gets
 * the CPU first. libvips starts its threads as it needs them: they are looked for again whenever
 * the process's thread count changed since the last look.
 */
let nice = 0;
let threadsSeen = -1;
function lowerPriority(want: number | undefined): void {
  if (typeof want === 'number' && want > nice && raiseNice(0, want)) nice = want;
  if (nice <= 0) return;
  let n: number;
  try {
    n = readdirSync('/proc/self/task').length;
  } catch {
    return;
  }
  if (n === threadsSeen) return;
  threadsSeen = n;
  raiseThreadsNamed('libvips worker', nice);
}

/** A held image, or the band of its rows [top, bottom) (a tall page read by OCR in bands, features/ocr-bands.ts): a view, nothing copied. */
function pixels(id: number, rows?: Rows): RgbImage {
  const img = held.get(id);
  if (!img) throw new Error(`decoded image ${id} was already dropped`);
  return rowBand(img, rows);
}

type Msg = (
  | { seq: number; op: 'decode'; id: number; bytes: Uint8Array; maxPixels: number }
  | { seq: number; op: 'planes'; id: number; rows?: Rows; geo: ResizeWindow; src: number[]; table: Float32Array; into: Float32Array }
  | { seq: number; op: 'decodePlanes'; bytes: Uint8Array; maxPixels: number; width: number; height: number; geo: ResizeWindow; src: number[]; table: Float32Array; into: Float32Array }
  | { seq: number; op: 'crops'; id: number; rows?: Rows; quads: Array<[Point, Point, Point, Point]> }
  | { seq: number; op: 'count' }
  | { op: 'drop'; id: number }
) & { nice?: number };

async function answer(m: Exclude<Msg, { op: 'drop' }>): Promise<[unknown, ArrayBuffer[]]> {
  switch (m.op) {
    case 'decode': {
      const { data, info } = await decodeSteps(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), m.maxPixels).toBuffer({ resolveWithObject: true });
      if (info.channels === 3) held.set(m.id, { data, width: info.width, height: info.height });
      return [{ width: info.width, height: info.height, channels: info.channels }, []];
    }
    case 'planes': {
      const img = pixels(m.id, m.rows);
      writePlanes(await resized(img.data, img.width, img.height, m.geo), m.geo.width * m.geo.height, m.src, m.table, m.into);
      return [{}, []];
    }
    case 'decodePlanes': {
      const rgb = await decodedResized(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), m.maxPixels, m.width, m.height, m.geo);
      writePlanes(rgb, m.geo.width * m.geo.height, m.src, m.table, m.into);
      return [{}, []];
    }
    case 'crops': {
      const crops = m.quads.map((q) => cropQuad(pixels(m.id, m.rows), q));
      return [crops, crops.map((c) => c.data.buffer as ArrayBuffer)];
    }
    case 'count':
      return [held.size, []];
  }
}

port.on('message', (m: Msg) => {
  if (m.op === 'drop') return void held.delete(m.id);
  lowerPriority(m.nice);
  answer(m).then(
    ([value, transfer]) => (lowerPriority(undefined), port.postMessage({ seq: m.seq, ok: true, value }, transfer)),
    (e: unknown) => port.postMessage({ seq: m.seq, ok: false, message: String((e as Error)?.message ?? e) }),
  );
});
