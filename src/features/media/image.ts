/**
 * Images with sharp: decode once to RGB (EXIF orientation applied, first frame of animations),
 * then preprocess that decoded image for each model exactly as its manifest says (resize mode,
 * interpolation, crop, channel order, rescale, mean/std → CHW float32).
 *
 * Limits come first: the byte limit before anything, the pixel limit from the header alone
 * (sharp `metadata()` reads no pixel data), so a 20000×20000 "decompression bomb" is refused
 * before a single row is decoded; sharp's own `limitInputPixels` backs that up.
 *
 * Every sharp failure becomes a VlrerankError in `translateSharpError` (one place), never a crash.
 * This module must never fetch anything or know about HTTP: it gets bytes or decoded pixels.
 */
import sharp, { type Metadata } from 'sharp';
import { vlrError, isVlrerankError, type VlrerankError } from '../../errors.js';
import type { ImagePreprocess, PreprocessedImage } from '../../models/preprocess.js';
import { pixelsHere, type OcrPixels } from '../../models/encoders/ocr.js';
import { rowBand, type Rows } from '../../models/encoders/ocr-crop.js';
import { planeTable, writePlanes } from '../../models/pixels.js';
import { decodedPlanes, heldCrops, heldDecode, heldDrop, heldPlanes, type HeldPixels } from './prep-worker.js';
import { decodeSteps, resized, type ResizeWindow } from './sharp-steps.js';

/** Decoded 8-bit RGB pixels, row-major HWC, 3 channels, orientation already applied. */
export interface DecodedImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3;
  /** Format of the source bytes as sharp saw it (jpeg, png, webp, gif, heif, tiff…), absent for raw frames. */
  format?: string;
  /**
   * Set when the pixels were decoded and are kept in the image worker (`decodeImage(…, { held: true })`):
   * `data` is then empty, `preprocessImage` has the worker write each tensor, and `dropDecoded` lets it forget them.
   */
  held?: HeldPixels;
}

const NO_PIXELS = Buffer.alloc(0);

/** The image worker may forget a held image's pixels (no-op for pixels on this thread). */
export function dropDecoded(img: DecodedImage | undefined): void {
  if (img?.held) heldDrop(img.held);
}

export interface ImageLimits {
  /** Largest encoded input in bytes. */
  maxBytes: number;
  /** Largest width×height of the (first frame of the) image. */
  maxPixels: number;
}

const DEFAULT_IMAGE_LIMITS: ImageLimits = { maxBytes: 32 * 1024 * 1024, maxPixels: 50_000_000 };

/** Formats we decode. sharp reports AVIF and HEIC as `heif`; HEIC (HEVC) is refused below because prebuilt libvips has no HEVC decoder. */
const SUPPORTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'heif', 'tiff', 'avif']);

/** The model interpolation names → sharp kernels. sharp's `cubic` is Catmull-Rom (a = -0.5), like PIL's BICUBIC; outputs still differ slightly (PITFALLS.md). */
const KERNELS: Record<ImagePreprocess['interpolation'], ResizeWindow['kernel']> = {
  bicubic: 'cubic',
  bilinear: 'linear',
  nearest: 'nearest',
  lanczos3: 'lanczos3',
};

/**
 * Map a sharp/libvips failure to our codes. The messages matched here are libvips' own:
 * "Input image exceeds pixel limit", "Input buffer contains unsupported image format",
 * "VipsJpeg: Premature end of JPEG file", "… corrupt …", "Input buffer is empty" and so on.
 */
function translateSharpError(e: unknown, what = 'image'): VlrerankError {
  if (isVlrerankError(e)) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/exceeds pixel limit/i.test(msg)) {
    return vlrError('VLR_MEDIA_TOO_LARGE', `${what} exceeds the pixel limit`, { cause: e });
  }
  if (/unsupported image format|Input buffer is empty|Input file is missing/i.test(msg)) {
    return vlrError('VLR_MEDIA_UNSUPPORTED', `${what} is not in a supported image format (jpeg, png, webp, gif, avif, tiff)`, { cause: e });
  }
  // Everything else libvips says while decoding means the bytes could not be turned into pixels.
  return vlrError('VLR_MEDIA_UNSUPPORTED', `${what} cannot be decoded (corrupt or truncated): ${firstLine(msg)}`, { cause: e });
}

function firstLine(s: string): string {
  const line = s.split('\n').find((l) => l.trim()) ?? s;
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** The video container the bytes open with (ISO BMFF that is no HEIF/AVIF still, Matroska/WebM), if any. */
function videoContainer(buf: Buffer): string | undefined {
  if (buf.length < 12) return undefined;
  if (buf.toString('latin1', 4, 8) === 'ftyp' && !/^(avif|avis|heic|heix|mif1|msf1)$/.test(buf.toString('latin1', 8, 12))) return 'mp4/mov';
  if (buf.readUInt32BE(0) === 0x1a45dfa3) return 'matroska/webm';
  return undefined;
}

/** What `probeImage` reads from a header. */
export interface Probed {
  format: string;
  width: number;
  height: number;
  orientation?: number;
  pages?: number;
  space?: string;
  hasProfile?: boolean;
  channels?: number;
  depth?: string;
}

/** Header-only inspection: format and size without decoding pixels. Enforces both limits. */
export async function probeImage(
  buf: Buffer,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<Probed> {
  if (buf.length === 0) throw vlrError('VLR_MEDIA_UNSUPPORTED', 'image is empty (0 bytes)');
  if (buf.length > limits.maxBytes) {
    throw vlrError('VLR_MEDIA_TOO_LARGE', `image is ${buf.length} bytes, over the limit of ${limits.maxBytes} bytes`, {
      details: { bytes: buf.length, max_bytes: limits.maxBytes },
    });
  }
  let meta: Metadata;
  try {
    // limitInputPixels: false here because metadata never decodes pixels; we check the header ourselves.
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch (e) {
    const video = videoContainer(buf);
    if (video) throw vlrError('VLR_MEDIA_UNSUPPORTED', `this is a video (${video}), not an image: send it as a video`, { cause: e });
    throw translateSharpError(e);
  }
  const format = meta.format as string | undefined;
  if (!format || !SUPPORTED_FORMATS.has(format)) {
    throw vlrError('VLR_MEDIA_UNSUPPORTED', `image format ${format ?? 'unknown'} is not supported (jpeg, png, webp, gif, avif, tiff)`);
  }
  if (format === 'heif' && meta.compression && meta.compression !== 'av1') {
    throw vlrError('VLR_MEDIA_UNSUPPORTED', `HEIF with ${meta.compression} compression is not supported (AVIF is)`);
  }
  const width = meta.width ?? 0;
  // For animations sharp reports the first page's height as pageHeight and the whole strip as height.
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (!width || !height) throw vlrError('VLR_MEDIA_UNSUPPORTED', 'image header has no dimensions');
  if (width * height > limits.maxPixels) {
    throw vlrError('VLR_MEDIA_TOO_LARGE', `image is ${width}×${height} = ${width * height} pixels, over the limit of ${limits.maxPixels}`, {
      details: { width, height, max_pixels: limits.maxPixels },
    });
  }
  return { format, width, height, orientation: meta.orientation, pages: meta.pages, space: meta.space, hasProfile: meta.hasProfile, channels: meta.channels, depth: meta.depth };
}

/**
 * How `decodeImage` turns bytes into the models' RGB: part of every feature key (parts.ts) and
 * record key, so features made by another decoding are never read. Bump it when decoding changes.
 */
/** 1: stored values; 2: CMYK turned into the colours a viewer shows (decodeCmyk). */
export const IMAGE_DECODE = 'rgb-as-encoded/2';

/**
 * `held: true` (the feature extractor, perf21; OCR too since perf22, through `ocrPixels`): decoded in
 * the image worker, pixels kept there — `data` is then empty (`preprocessImage` and `ocrPixels` ask
 * the worker; `dropDecoded` lets it forget them).
 *
 * Decode to 8-bit RGB (alpha flattened onto white, palette/grey/16-bit converted, CMYK as
 * `decodeCmyk` says), orientation from EXIF applied, first frame only. Limits are checked from the
 * header before decoding.
 *
 * An embedded ICC profile is ignored: the stored values are the model's input, as PIL's
 * `convert('RGB')`, OpenCV's `imread` and TensorFlow's `decode_jpeg` give them — the decoders the
 * image models were trained and verified with (each model's reference.json is PIL-made). Converting
 * Adobe RGB (1998) photos to sRGB, sharp's default, fed the classifier pixels it never saw:
 * 56 of the 81 Grocery catalog photos carry that profile, and search by image (405 in-store photos,
 * exact EfficientNet cosine) fell from top-1 / top-5 0.333 / 0.716 to 0.296 / 0.701 (issue 14 §5,
 * models/CALIBRATION.md "Search by image"). sharp then decodes JPEGs bit for bit as PIL does.
 */
export async function decodeImage(buf: Buffer, limits: ImageLimits = DEFAULT_IMAGE_LIMITS, opts: { held?: boolean } = {}): Promise<DecodedImage> {
  return decodeProbed(buf, await probeImage(buf, limits), limits, opts);
}

async function decodeProbed(buf: Buffer, { format, space, hasProfile }: Probed, limits: ImageLimits, opts: { held?: boolean }): Promise<DecodedImage> {
  try {
    if (space === 'cmyk') return await decodeCmyk(buf, limits, format, hasProfile === true);
    if (opts.held) {
      // the same pipeline as below, in the image worker (prep-worker.ts): the pixels stay there
      const r = await heldDecode(buf, limits.maxPixels);
      if (r.channels !== 3) throw vlrError('VLR_MEDIA_UNSUPPORTED', `image decoded to ${r.channels} channels, expected 3`);
      return { data: NO_PIXELS, width: r.width, height: r.height, channels: 3, format, held: r.held };
    }
    const { data, info } = await decodeSteps(buf, limits.maxPixels).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw vlrError('VLR_MEDIA_UNSUPPORTED', `image decoded to ${info.channels} channels, expected 3`);
    return { data, width: info.width, height: info.height, channels: 3, format };
  } catch (e) {
    throw translateSharpError(e);
  }
}

/**
 * CMYK (print catalogs' JPEGs, YCCK included: libjpeg hands both over as CMYK) has no stored RGB
 * values to keep, so its numbers are turned into the colours a viewer shows. With an embedded
 * profile (what Photoshop writes): through that profile, as browsers do. Without one: the plain
 * formula R = (255 − C)(255 − K)/255 of PIL's `convert('RGB')` (the models' reference decoder) and
 * of browsers — libvips' fallback press profile gave other colours (mean error 7.7–12.4 levels,
 * EfficientNet cosine to the RGB twin 0.933–0.984; held-out probe round 13c).
 */
async function decodeCmyk(buf: Buffer, limits: ImageLimits, format: string, tagged: boolean): Promise<DecodedImage> {
  const open = (ignoreIcc: boolean) => sharp(buf, { limitInputPixels: limits.maxPixels, failOn: 'warning', pages: 1, page: 0, ignoreIcc }).rotate();
  if (tagged) {
    const { data, info } = await open(false).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw vlrError('VLR_MEDIA_UNSUPPORTED', `image decoded to ${info.channels} channels, expected 3`);
    return { data, width: info.width, height: info.height, channels: 3, format };
  }
  const { data: cmyk, info } = await open(true).pipelineColourspace('cmyk').toColourspace('cmyk').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const step = info.channels;
  if (step < 4) throw vlrError('VLR_MEDIA_UNSUPPORTED', `CMYK image decoded to ${step} channels, expected 4`);
  const data = Buffer.allocUnsafe(n * 3);
  for (let i = 0, j = 0, o = 0; i < n; i++, j += step, o += 3) {
    const nk = 255 - cmyk[j + 3]!;
    // PIL's cmyk2rgb: nk − MULDIV255(c, nk), rounded the same way
    for (let c = 0; c < 3; c++) {
      const t = cmyk[j + c]! * nk + 128;
      data[o + c] = nk - (((t >> 8) + t) >> 8);
    }
  }
  return { data, width: info.width, height: info.height, channels: 3, format };
}

/** Where a shortest-side resize lands and which window the centre crop keeps (same rounding as the PIL references). */
export function resizeGeometry(
  width: number,
  height: number,
  spec: Pick<ImagePreprocess, 'width' | 'height' | 'resize' | 'resizeShortest'>,
): { resizeWidth: number; resizeHeight: number; left: number; top: number } {
  if (spec.resize === 'stretch') return { resizeWidth: spec.width, resizeHeight: spec.height, left: 0, top: 0 };
  const r = spec.resizeShortest ?? Math.max(spec.width, spec.height);
  const sc = r / Math.min(width, height);
  // max(r, …) keeps the shorter side exactly r despite rounding; the crop never exceeds the image.
  const resizeWidth = Math.max(r, Math.round(width * sc), spec.width);
  const resizeHeight = Math.max(r, Math.round(height * sc), spec.height);
  return {
    resizeWidth,
    resizeHeight,
    left: Math.floor((resizeWidth - spec.width) / 2),
    top: Math.floor((resizeHeight - spec.height) / 2),
  };
}

/** The window a model's preprocessing keeps of a width×height image, and its kernel. */
function windowOf(width: number, height: number, spec: ImagePreprocess): ResizeWindow {
  return { ...resizeGeometry(width, height, spec), width: spec.width, height: spec.height, kernel: KERNELS[spec.interpolation] };
}

/** Resized (and cropped) 8-bit RGB pixels at the model's input size; the float conversion is separate so it can run per model. */
async function resizeRgb(img: DecodedImage, spec: ImagePreprocess): Promise<Buffer> {
  try {
    return await resized(img.data, img.width, img.height, windowOf(img.width, img.height, spec));
  } catch (e) {
    throw translateSharpError(e);
  }
}

/** Source channel (in RGB) feeding each of the model's channels. */
const channelsOf = (spec: ImagePreprocess) => (spec.channelOrder === 'bgr' ? [2, 1, 0] : [0, 1, 2]);

const tables = new WeakMap<ImagePreprocess, Float32Array>();
/** (px·rescale − mean) / std folded into one multiply-add, px·(rescale/std) + (−mean/std), for every byte of each model channel. */
function chwTable(spec: ImagePreprocess): Float32Array {
  let t = tables.get(spec);
  if (!t) tables.set(spec, (t = planeTable((v, c) => v * (spec.rescale / spec.std[c]!) + -spec.mean[c]! / spec.std[c]!)));
  return t;
}

/**
 * HWC uint8 RGB → CHW float32 in the model's channel order: out = (px·rescale − mean) / std,
 * folded into one multiply-add per value (looked up: models/pixels.ts), in a single pass over the pixels.
 */
export function toChwFloat(rgb: Uint8Array, width: number, height: number, spec: ImagePreprocess, out?: Float32Array): Float32Array {
  return writePlanes(rgb, width * height, channelsOf(spec), chwTable(spec), out ?? new Float32Array(3 * width * height));
}

/**
 * Where decoding `probed` and resizing it for `spec` can be one sharp call (sharp-steps.ts
 * `decodedResized`) with the same bytes as decode-then-resize: an 8-bit, 3-channel sRGB JPEG with
 * no EXIF rotation (the pipeline would resize before rotating, in the other order), reduced by
 * less than 2 on each side (libvips' JPEG shrink-on-load, which changes pixels, starts at 2).
 * COCO's photos all qualify for EfficientNet; larger photos and other formats take two calls.
 * Undefined where it cannot.
 */
export function oneCallResize(p: Probed, spec: ImagePreprocess): ResizeWindow | undefined {
  if (p.format !== 'jpeg' || p.space !== 'srgb' || p.channels !== 3 || p.depth !== 'uchar' || (p.orientation ?? 1) !== 1) return undefined;
  const g = windowOf(p.width, p.height, spec);
  return p.width < 2 * g.resizeWidth && p.height < 2 * g.resizeHeight ? g : undefined;
}

/**
 * One model's input straight from encoded bytes, for an image no other model or OCR reads (a
 * classification alone): decoded and resized in one sharp call in the image worker where
 * `oneCallResize` allows (one call and no full-size pixels, ≈ 0.75 ms of CPU less a COCO photo),
 * else decoded, preprocessed and dropped as `decodeImage` + `preprocessImage` do. Either way the
 * values are `preprocessImage(decodeImage(buf))`'s, byte for byte (test/model/one-call-resize.test.ts).
 */
export async function preprocessBytes(buf: Buffer, spec: ImagePreprocess, limits: ImageLimits = DEFAULT_IMAGE_LIMITS, into?: (length: number) => Float32Array): Promise<PreprocessedImage> {
  const probed = await probeImage(buf, limits);
  const geo = oneCallResize(probed, spec);
  if (!geo) {
    const img = await decodeProbed(buf, probed, limits, { held: true });
    try {
      return await preprocessImage(img, spec, limits, into);
    } finally {
      dropDecoded(img);
    }
  }
  const length = 3 * spec.width * spec.height;
  const given = into?.(length);
  const out = given?.buffer instanceof SharedArrayBuffer ? given : new Float32Array(new SharedArrayBuffer(length * 4));
  try {
    await decodedPlanes(buf, limits.maxPixels, probed.width, probed.height, geo, channelsOf(spec), chwTable(spec), out);
  } catch (e) {
    throw translateSharpError(e);
  }
  if (given && given !== out) given.set(out);
  return { data: given ?? out, dims: [3, spec.height, spec.width], original: { width: probed.width, height: probed.height } };
}

/**
 * Preprocess for one model. Takes encoded bytes (decoded here, with the limits) or an already
 * decoded image, so one decode serves several models (EfficientNet 260 crop, NanoDet 416 stretch, CLIP 224).
 * `into`: where the float tensor is written (e.g. a reused buffer of the models' input pool;
 * every value is written), instead of a fresh array.
 */
export async function preprocessImage(
  input: Buffer | DecodedImage,
  spec: ImagePreprocess,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
  into?: (length: number) => Float32Array,
): Promise<PreprocessedImage> {
  const img = Buffer.isBuffer(input) ? await decodeImage(input, limits) : input;
  if (img.held) return preprocessHeld(img, img.held, spec, into);
  const rgb = await resizeRgb(img, spec);
  return {
    data: toChwFloat(rgb, spec.width, spec.height, spec, into?.(3 * spec.width * spec.height)),
    dims: [3, spec.height, spec.width],
    original: { width: img.width, height: img.height },
  };
}

/** `preprocessImage` of pixels held by the image worker: it resizes and writes the floats into shared memory (the pool's buffer). */
async function preprocessHeld(img: DecodedImage, held: HeldPixels, spec: ImagePreprocess, into?: (length: number) => Float32Array): Promise<PreprocessedImage> {
  const length = 3 * spec.width * spec.height;
  const given = into?.(length);
  const out = given?.buffer instanceof SharedArrayBuffer ? given : new Float32Array(new SharedArrayBuffer(length * 4));
  try {
    await heldPlanes(held, windowOf(img.width, img.height, spec), channelsOf(spec), chwTable(spec), out);
  } catch (e) {
    throw translateSharpError(e);
  }
  if (given && given !== out) given.set(out);
  return { data: given ?? out, dims: [3, spec.height, spec.width], original: { width: img.width, height: img.height } };
}

/** Preprocess one decoded image for several models at once (resizes run in parallel on libvips' threads). */
export async function preprocessForModels(
  img: DecodedImage,
  specs: readonly ImagePreprocess[],
): Promise<PreprocessedImage[]> {
  return Promise.all(specs.map((s) => preprocessImage(img, s)));
}

/**
 * What OCR reads of a decoded image (models/encoders/ocr.ts OcrPixels), or of the band `rows` [top,
 * bottom) of it (a tall page read in bands, features/ocr-bands.ts): its pixels on this thread, or,
 * for an image held by the image worker, the worker's own resize and planes (into shared memory) and
 * its crops of the text boxes — only the small crops reach this thread (perf22). A band is a view of
 * the page's rows on either thread, so both give the same bytes.
 */
export function ocrPixels(img: DecodedImage, rows?: Rows): OcrPixels {
  const held = img.held;
  if (!held) return pixelsHere(rowBand(img, rows));
  const height = rows ? rows[1] - rows[0] : img.height;
  return {
    width: img.width,
    height,
    async planes(w, h, src, table) {
      const out = new Float32Array(new SharedArrayBuffer(3 * w * h * 4));
      // OCR's resize (ocr.ts resizeRgb): bilinear to w×h, nothing cut
      await heldPlanes(held, { resizeWidth: w, resizeHeight: h, left: 0, top: 0, width: w, height: h, kernel: 'linear' }, src, table, out, rows).catch((e: unknown) => {
        throw translateSharpError(e);
      });
      return out;
    },
    crops: (quads) => heldCrops(held, quads, rows),
  };
}
