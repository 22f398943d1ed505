/**
 * The two sharp pipelines of an image's way to a model, written once for both threads that run
 * them: image.ts on the main thread (CMYK's neighbours, video frames, callers that want the pixels)
 * and the image worker (prep-thread.ts), whose tensors must be byte-equal to the main thread's.
 */
import sharp from 'sharp';

// libvips' operation cache (sharp's default: 50 MB, 20 files, 100 operations, per process) finds
// nothing again here — each decode is of bytes just read — so it only holds memory: off (round 13d).
sharp.cache(false);

/**
 * decodeImage's pipeline for everything but CMYK: EXIF orientation applied, first frame, alpha
 * flattened onto white, 8-bit sRGB stored values (the ICC profile ignored: image.ts says why).
 * failOn 'warning' (sharp's default, stated here on purpose): a JPEG with corrupt entropy data only
 * raises libjpeg warnings and would otherwise decode to garbage pixels and garbage features. All
 * 1238 photos in ../shared/data decode cleanly under it.
 */
export function decodeSteps(buf: Buffer, maxPixels: number) {
  return sharp(buf, { limitInputPixels: maxPixels, failOn: 'warning', pages: 1, page: 0, ignoreIcc: true })
    .rotate()
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' });
}

/** Where a resize lands (image.ts resizeGeometry), the window kept, and sharp's kernel. */
export interface ResizeWindow {
  resizeWidth: number;
  resizeHeight: number;
  left: number;
  top: number;
  width: number;
  height: number;
  kernel: 'cubic' | 'linear' | 'nearest' | 'lanczos3';
}

/** Decoded RGB (width×height×3) resized to resizeWidth×resizeHeight (skipped when equal), then the window cut out (skipped when it is the whole). */
export function resizeSteps(data: Uint8Array, width: number, height: number, g: ResizeWindow) {
  let pipe = sharp(data, { raw: { width, height, channels: 3 }, limitInputPixels: false });
  if (g.resizeWidth !== width || g.resizeHeight !== height) pipe = pipe.resize(g.resizeWidth, g.resizeHeight, { kernel: g.kernel, fit: 'fill' });
  if (g.resizeWidth !== g.width || g.resizeHeight !== g.height) pipe = pipe.extract({ left: g.left, top: g.top, width: g.width, height: g.height });
  return pipe.raw();
}

/** `resizeSteps`' pixels, checked to be the window's size. */
export async function resized(data: Uint8Array, width: number, height: number, g: ResizeWindow): Promise<Buffer> {
  return checked(await resizeSteps(data, width, height, g).toBuffer({ resolveWithObject: true }), g);
}

/**
 * `decodeSteps` and `resizeSteps`' window in one pipeline, for an image one model input is made
 * from (`width`×`height`: the decoded size, which the caller knows from the header): one sharp call
 * and no full-size pixels kept, where decode-then-resize is two calls and a 0.9 MB buffer a COCO
 * photo. Byte-equal to `resized(decode)` only where image.ts `oneCallResize` allows it (an 8-bit
 * sRGB JPEG, upright, reduced by less than 2: no shrink-on-load, no rotation inside the pipeline).
 */
export async function decodedResized(buf: Buffer, maxPixels: number, width: number, height: number, g: ResizeWindow): Promise<Buffer> {
  let pipe = decodeSteps(buf, maxPixels);
  if (g.resizeWidth !== width || g.resizeHeight !== height) pipe = pipe.resize(g.resizeWidth, g.resizeHeight, { kernel: g.kernel, fit: 'fill', fastShrinkOnLoad: false });
  if (g.resizeWidth !== g.width || g.resizeHeight !== g.height) pipe = pipe.extract({ left: g.left, top: g.top, width: g.width, height: g.height });
  return checked(await pipe.toBuffer({ resolveWithObject: true }), g);
}

function checked({ data: rgb, info }: { data: Buffer; info: { width: number; height: number; channels: number } }, g: ResizeWindow): Buffer {
  if (info.width !== g.width || info.height !== g.height || info.channels !== 3) {
    throw new Error(`resize produced ${info.width}×${info.height}×${info.channels}, expected ${g.width}×${g.height}×3`);
  }
  return rgb;
}
