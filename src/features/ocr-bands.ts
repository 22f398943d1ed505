/**
 * A tall image — a full-page screenshot, 1280×20000 — read by OCR in bands (held-out probe round
 * 22a). The detector sees an image at most `detMaxSide` (960) on its longest side: a 1280×20000 page
 * shrank to 61×960, its 18 px text to under 1 px, and OCR read nothing at all from it. An image more
 * than twice as tall as max(width, detMaxSide) is cut into bands of that height (so each band is
 * seen at the scale an ordinary screenshot of that width is), overlapping by a line or two; a line
 * is kept from the band whose middle part holds its centre, its box moved into the page's
 * coordinates. The page is read top down until `maxLines` lines or `MAX_CHARS` characters are read:
 * the text model reads the first 512 tokens of an image's OCR text (about 2,000 characters of
 * English), so reading a 20,000 px page to its end — 295 s and 17,983 characters in round 22a, on
 * the loaded 2-core machine — bought nothing it scores on; the first bands read hold the text it does.
 * Text running down more than one band (a vertical line longer than the page is wide) is cut.
 */
import type { OcrEngine, OcrLine, OcrOptions, OcrPixels } from '../models/encoders/ocr.js';

/** The PaddleOCR defaults the engine uses when options leave them unset (ocr.ts DEFAULTS). */
const DET_MAX_SIDE = 960;
const MAX_LINES = 200;
/** Overlap of two bands: two lines of the tallest text a page would have. */
const OVERLAP = 128;
/** Characters after which no further band is read: twice what the text model reads of OCR text. */
export const MAX_CHARS = 4096;

/** Bands [top, bottom) of an image this tall, or one band for an image the detector reads whole. */
export function ocrBands(width: number, height: number, detMaxSide = DET_MAX_SIDE): Array<[number, number]> {
  const band = Math.max(width, detMaxSide);
  if (height <= 2 * band) return [[0, height]];
  const out: Array<[number, number]> = [];
  for (let top = 0; ; top += band - OVERLAP) {
    const bottom = Math.min(height, top + band);
    out.push([top, bottom]);
    if (bottom === height) return out;
  }
}

/**
 * OCR lines of a `width`×`height` image, a tall one read band by band; `band(rows)` gives what OCR
 * reads of the rows [top, bottom) (features/media/image.ts `ocrPixels`: on this thread or held by the
 * image worker), or of the whole image when `rows` is undefined.
 */
export async function recognizeInBands(engine: Pick<OcrEngine, 'recognize'>, size: { width: number; height: number }, band: (rows?: readonly [number, number]) => OcrPixels, options: OcrOptions = {}, signal?: AbortSignal): Promise<OcrLine[]> {
  const bands = ocrBands(size.width, size.height, options.detMaxSide);
  if (bands.length === 1) return engine.recognize(band(), options, signal);
  const maxLines = options.maxLines ?? MAX_LINES;
  const out: OcrLine[] = [];
  let chars = 0;
  for (const [i, [top, bottom]] of bands.entries()) {
    if (out.length >= maxLines || chars >= MAX_CHARS) break;
    const lines = await engine.recognize(band([top, bottom]), { ...options, maxLines: maxLines - out.length }, signal);
    const from = i === 0 ? 0 : OVERLAP / 2;
    const to = i === bands.length - 1 ? Infinity : bottom - top - OVERLAP / 2;
    for (const l of lines) {
      const cy = l.box.reduce((s, p) => s + p[1], 0) / 4;
      if (cy >= from && cy < to && out.length < maxLines) {
        out.push({ ...l, box: l.box.map(([x, y]) => [x, y + top]) as OcrLine['box'] });
        chars += l.text.length;
      }
    }
  }
  return out;
}
