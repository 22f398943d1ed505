// Every bad image answers with its clear error: too many bytes, too many pixels (refused from the
// header, before decoding), not an image, corrupt, truncated, empty.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage, preprocessImage, probeImage } from '../../src/features/media/image.js';
import { VlrerankError } from '../../src/errors.js';
import type { ImagePreprocess } from '../../src/models/preprocess.js';
import { DATA } from '../helpers/paths.js';
import { corruptJpeg, hugePng } from '../helpers/media-fixtures.js';
import { rejection } from '../helpers/errors.js';

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string; status: number }> {
  const v = await rejection(p);
  return { code: v.code, message: v.message, status: v.status };
}

const coffee = readFileSync(join(DATA, 'skimage-clip-smoke/images/coffee.png'));
const spec: ImagePreprocess = { width: 260, height: 260, resize: 'shortest-crop', resizeShortest: 297, interpolation: 'bicubic', channelOrder: 'rgb', rescale: 1, mean: [127, 127, 127], std: [128, 128, 128] };

describe('image limits and bad input', () => {
  it('refuses a 20000×20000 PNG from its header, before decoding (VLR_MEDIA_TOO_LARGE, 413)', async () => {
    const bomb = hugePng(20000, 20000);
    expect(bomb.length).toBeLessThan(100_000); // tiny on the wire, 400 Mpx when decoded
    const before = process.memoryUsage().rss;
    const err = await codeOf(decodeImage(bomb, { maxBytes: 1 << 20, maxPixels: 50_000_000 }));
    expect(err).toMatchObject({ code: 'VLR_MEDIA_TOO_LARGE', status: 413 });
    // The message comes from our header check (with the dimensions), not from a libvips decode.
    expect(err.message).toContain('20000×20000');
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
    expect((await codeOf(preprocessImage(bomb, spec))).code).toBe('VLR_MEDIA_TOO_LARGE');
  });

  it('refuses input over the byte limit before looking at it', async () => {
    const err = await codeOf(probeImage(coffee, { maxBytes: 1000, maxPixels: 50_000_000 }));
    expect(err.code).toBe('VLR_MEDIA_TOO_LARGE');
    expect(err.message).toMatch(/over the limit of 1000 bytes/);
  });

  it('gives VLR_MEDIA_UNSUPPORTED (415) for a corrupt JPEG', async () => {
    const err = await codeOf(decodeImage(await corruptJpeg(coffee)));
    expect(err).toMatchObject({ code: 'VLR_MEDIA_UNSUPPORTED', status: 415 });
    expect(err.message).toMatch(/corrupt|truncated/i);
  });

  it('gives VLR_MEDIA_UNSUPPORTED for a truncated JPEG', async () => {
    const jpg = readFileSync(join(DATA, 'skimage-clip-smoke/images/rocket.jpg'));
    const err = await codeOf(decodeImage(jpg.subarray(0, Math.floor(jpg.length / 2))));
    expect(err.code).toBe('VLR_MEDIA_UNSUPPORTED');
    expect(err.message).toMatch(/premature end|truncated/i);
  });

  it('gives VLR_MEDIA_UNSUPPORTED for bytes that are no image, and for empty input', async () => {
    expect((await codeOf(decodeImage(Buffer.from('<html>not an image</html>')))).code).toBe('VLR_MEDIA_UNSUPPORTED');
    expect((await codeOf(decodeImage(Buffer.alloc(0)))).code).toBe('VLR_MEDIA_UNSUPPORTED');
    // an SVG is a format libvips knows but we do not accept (scripts, external references)
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    expect((await codeOf(decodeImage(svg))).code).toBe('VLR_MEDIA_UNSUPPORTED');
  });

  it('serialises to an ES-shaped body', async () => {
    try {
      await decodeImage(hugePng(20000, 20000));
    } catch (e) {
      expect((e as VlrerankError).toJSON()).toMatchObject({ status: 413, error: { type: 'media_too_large_exception', vlrerank_code: 'VLR_MEDIA_TOO_LARGE' } });
    }
  });
});
