// Decoding every supported format to 8-bit RGB, once: EXIF orientation applied, first GIF frame,
// alpha flattened, grey/16-bit converted, an embedded ICC profile ignored (as the models' PIL references).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { decodeImage } from '../../src/features/media/image.js';
import { cmykFromRgb, orientedJpeg, twoFrameGif } from '../helpers/media-fixtures.js';
import { DATA } from '../helpers/paths.js';
import { rejection } from '../helpers/errors.js';

const px = (d: { data: Buffer; width: number }, x: number, y: number) => Array.from(d.data.subarray((y * d.width + x) * 3, (y * d.width + x) * 3 + 3));
const close = (a: number[], b: number[], tol = 12) => a.every((v, i) => Math.abs(v - b[i]!) <= tol);

describe('decodeImage', () => {
  const base = () => sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 40, b: 90 } } });
  const formats: Array<[string, () => Promise<Buffer>, string]> = [
    ['jpeg', () => base().jpeg({ quality: 95 }).toBuffer(), 'jpeg'],
    ['png', () => base().png().toBuffer(), 'png'],
    ['webp', () => base().webp({ lossless: true }).toBuffer(), 'webp'],
    ['gif', () => base().gif().toBuffer(), 'gif'],
    ['avif', () => base().avif({ lossless: true }).toBuffer(), 'heif'],
    ['tiff', () => base().tiff().toBuffer(), 'tiff'],
  ];
  for (const [name, make, format] of formats) {
    it(`decodes ${name} to 64×48 RGB with the right colour`, async () => {
      const d = await decodeImage(await make());
      expect(d.format).toBe(format);
      expect([d.width, d.height, d.channels, d.data.length]).toEqual([64, 48, 3, 64 * 48 * 3]);
      expect(close(px(d, 10, 10), [200, 40, 90], name === 'gif' ? 24 : 12)).toBe(true);
    });
  }

  it('applies EXIF orientation 6 (rotate 90° clockwise): the red left strip becomes the top rows', async () => {
    const d = await decodeImage(await orientedJpeg(6));
    expect([d.width, d.height]).toEqual([20, 40]);
    expect(close(px(d, 10, 2), [255, 0, 0], 40)).toBe(true);
    expect(close(px(d, 10, 35), [0, 255, 0], 40)).toBe(true);
  });

  it('leaves an unrotated JPEG (orientation 1) as it is', async () => {
    const d = await decodeImage(await orientedJpeg(1));
    expect([d.width, d.height]).toEqual([40, 20]);
    expect(close(px(d, 2, 10), [255, 0, 0], 40)).toBe(true);
  });

  it('takes the first frame of an animated GIF', async () => {
    const gif = await twoFrameGif();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    const d = await decodeImage(gif);
    expect([d.width, d.height]).toEqual([16, 12]);
    expect(close(px(d, 5, 5), [255, 0, 0], 24)).toBe(true);
  });

  it('flattens alpha onto white and expands grey and 16-bit images to 8-bit RGB', async () => {
    const transparent = await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    expect(px(await decodeImage(transparent), 1, 1)).toEqual([255, 255, 255]);
    const grey = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).greyscale().png().toBuffer();
    const g = await decodeImage(grey);
    expect(g.data.length).toBe(8 * 8 * 3);
    expect(px(g, 3, 3)).toEqual([128, 128, 128]);
    const deep = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff8000' } }).toColourspace('rgb16').png().toBuffer();
    expect(px(await decodeImage(deep), 3, 3)).toEqual([255, 128, 0]);
  });

  it('keeps the stored values of a photo tagged Adobe RGB (1998), bit for bit as PIL convert("RGB") decodes it', async () => {
    // a Grocery catalog photo with an embedded Adobe RGB profile; the hash and channel means are
    // PIL 13's `np.asarray(Image.open(f).convert('RGB'))` (the decoder of every model's reference.json).
    // Converting to sRGB (sharp's default) moves the pixels by 2.4 on average and costs search by image
    // 0.04 top-1 (issue 14 §5).
    const file = join(DATA, 'grocery-store-products/iconic-images-and-descriptions/Fruit/Apple/Golden-Delicious/Golden-Delicious_Iconic.jpg');
    const bytes = readFileSync(file);
    const icc = (await sharp(bytes).metadata()).icc;
    expect(icc?.toString('latin1')).toContain('Adobe RGB (1998)');
    const d = await decodeImage(bytes);
    expect([d.width, d.height]).toEqual([198, 198]);
    const mean = [0, 1, 2].map((c) => d.data.reduce((a, v, i) => (i % 3 === c ? a + v : a), 0) / (198 * 198));
    expect(mean.map((m) => m.toFixed(3))).toEqual(['219.662', '227.548', '172.805']);
    expect(createHash('sha256').update(d.data).digest('hex')).toBe('184be575757b19bba928d3a9cd5a05182f080922d890bed0efaacc36e8370bb6');
  });

  // Held-out probe round 13c: print catalogs' CMYK photos were read through libvips' fallback press
  // profile — colours off by 7.7–12.4 levels on average, EfficientNet cosine to the RGB twin 0.933–0.984.
  const mad = (a: Buffer, b: Buffer) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;
  const cocoPhoto = () => decodeImage(readFileSync(join(DATA, 'coco-captions-mini/images/val2017/000000000802.jpg')));

  it('reads an untagged CMYK JPEG and TIFF of a real photo as its RGB twin (PIL convert("RGB") and browsers: R = (255 − C)(255 − K)/255)', async () => {
    const twin = await cocoPhoto();
    const { tiff, jpeg } = await cmykFromRgb(twin.data, twin.width, twin.height);
    for (const [bytes, format, tol] of [[tiff, 'tiff', 0], [jpeg, 'jpeg', 0.5]] as const) {
      const meta = await sharp(bytes).metadata();
      expect([meta.space, meta.channels, meta.hasProfile]).toEqual(['cmyk', 4, false]);
      const d = await decodeImage(bytes);
      expect([d.format, d.width, d.height]).toEqual([format, twin.width, twin.height]);
      expect(mad(d.data, twin.data)).toBeLessThanOrEqual(tol);
    }
  });

  it('reads a CMYK JPEG through its embedded profile (as a viewer shows it), never inverted', async () => {
    const twin = await cocoPhoto();
    const tagged = await sharp(twin.data, { raw: { width: twin.width, height: twin.height, channels: 3 } }).toColourspace('cmyk').withIccProfile('cmyk').jpeg({ quality: 95 }).toBuffer();
    expect((await sharp(tagged).metadata()).hasProfile).toBe(true);
    const d = await decodeImage(tagged);
    const viewer = await sharp(tagged).toColourspace('srgb').raw().toBuffer();
    expect(mad(d.data, viewer)).toBeLessThan(0.5);
    // the press profile's gamut moves colours a little; an inverted or naive reading moves them a lot
    expect(mad(d.data, twin.data)).toBeLessThan(12);
  });

  it('says a clip sent as an image is a video, to be sent as one (held-out probe round 13c: "not in a supported image format")', async () => {
    const clip = join(DATA, 'intel-sample-videos/clips/bottle-detection.mp4');
    const webm = execFileSync('ffmpeg', ['-v', 'error', '-i', clip, '-t', '1', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-an', '-f', 'webm', 'pipe:1'], { maxBuffer: 1 << 26 });
    for (const [bytes, name] of [[readFileSync(clip), 'mp4/mov'], [webm, 'matroska/webm']] as const) {
      const e = await rejection(decodeImage(bytes));
      expect([e.code, e.message]).toEqual(['VLR_MEDIA_UNSUPPORTED', `this is a video (${name}), not an image: send it as a video`]);
    }
    // an AVIF still is an ISO BMFF file too, and still an image
    const avif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).avif().toBuffer();
    expect((await decodeImage(avif)).width).toBe(8);
  });
});
