/**
 * The image worker's thread ("vlrerank-prep"; started and spoken to by prep-worker.ts only): decodes
 * photos and keeps their pixels under an id, writes each model's float planes into the shared
 * buffer it is handed, and cuts OCR's text boxes out of the full-resolution pixels. It runs the
 * same code as the main thread (sharp-steps.ts, models/pixels.ts, ocr-crop.ts), so its outputs are
 * byte-equal to that thread's. Protocol: prep-worker.ts.
 */
import { parentPort } from 'node:worker_threads';
import { cropQuad, rowBand, type RgbImage, type Rows } from '../../models/encoders/ocr-crop.js';
import type { Point } from '../../models/encoders/ocr-boxes.js';
import { writePlanes } from '../../models/pixels.js';
import { decodeSteps, resized, type ResizeWindow } from './sharp-steps.js';

interface Held {
  data: Buffer;
  width: number;
  height: number;
}

const held = new Map<number, Held>();
const port = parentPort!;

/** A held image, or the band of its rows [top, bottom) (a tall page read by OCR in bands, features/ocr-bands.ts): a view, nothing copied. */
function pixels(id: number, rows?: Rows): RgbImage {
  const img = held.get(id);
  if (!img) throw new Error(`decoded image ${id} was already dropped`);
  return rowBand(img, rows);
}

type Msg =
  | { seq: number; op: 'decode'; id: number; bytes: Uint8Array; maxPixels: number }
  | { seq: number; op: 'planes'; id: number; rows?: Rows; geo: ResizeWindow; src: number[]; table: Float32Array; into: Float32Array }
  | { seq: number; op: 'crops'; id: number; rows?: Rows; quads: Array<[Point, Point, Point, Point]> }
  | { seq: number; op: 'count' }
  | { op: 'drop'; id: number };

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
  answer(m).then(
    ([value, transfer]) => port.postMessage({ seq: m.seq, ok: true, value }, transfer),
    (e: unknown) => port.postMessage({ seq: m.seq, ok: false, message: String((e as Error)?.message ?? e) }),
  );
});
