/**
 * The report's thumbnails, from real media in ../shared/data: a photo through sharp and one frame
 * of a real clip through ffmpeg, both as small inlined JPEGs; URLs are never fetched and unreadable
 * media only leave the thumbnail out.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { mediaOf, previewOf } from '../../../src/eval/thumbnails.js';
import { DATA } from '../../helpers/paths.js';

async function decoded(uri: string | undefined) {
  expect(uri).toMatch(/^data:image\/jpeg;base64,/);
  return sharp(Buffer.from(uri!.split(',')[1]!, 'base64')).metadata();
}

describe('report thumbnails', () => {
  it('a photo becomes a 96 px inlined JPEG next to the document text', async () => {
    const p = await previewOf({ caption: 'an astronaut', image: join(DATA, 'skimage-clip-smoke/images/astronaut.png') });
    expect(p.kind).toBe('image');
    expect(p.text).toBe('an astronaut');
    const m = await decoded(p.thumb);
    expect([m.width, m.height]).toEqual([96, 96]);
  });

  it('a video becomes one frame, relative paths resolved against the given folder', async () => {
    const p = await previewOf({ clip: 'clips/car-detection.mp4' }, { base: join(DATA, 'intel-sample-videos') });
    expect(p.kind).toBe('video');
    expect((await decoded(p.thumb)).width).toBe(96);
  });

  it('a clip shorter than the 1 s seek still gets a frame (it got none; held-out eval probe round)', async () => {
    const clip = join(mkdtempSync(join(tmpdir(), 'vlr-thumb-')), 'half-second.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=0.5:size=160x120:rate=10', '-pix_fmt', 'yuv420p', clip]);
    const p = await previewOf({ title: 'short', video: clip });
    expect(p.kind).toBe('video');
    expect((await decoded(p.thumb)).width).toBe(96);
  });

  it('URLs are not fetched, missing files and broken images leave the thumbnail out', async () => {
    expect(await previewOf({ image: 'https://example.com/a.jpg', title: 'remote' })).toEqual({ text: 'remote' });
    expect(await previewOf({ image: '/nonexistent/a.jpg' })).toEqual({ text: undefined });
    expect((await previewOf({ image: 'data:image/png;base64,bm90IGFuIGltYWdl' })).thumb).toBeUndefined();
  });

  it('finds media and text in nested and array fields, skipping ids and vectors', () => {
    expect(mediaOf({ _id: 'x1', image_vector: [0.1], product: { title: 'oat milk', photos: ['a.JPG', 'b.jpg'] } })).toEqual({ text: 'oat milk', image: 'a.JPG' });
  });
});
