/**
 * Rerank and ingest work yields the CPU to the event loop beyond the inference thread (task ld26,
 * issue 13 §1): with `models.inferenceNice` 10, the image worker thread ("vlr-prep") and the
 * libvips worker threads sharp starts run at nice 10, and so do ffmpeg children; the main thread —
 * the loop that proxies and answers 429s — keeps its priority. Nice read from
 * /proc/self/task/<tid>/stat (Linux: nice is per thread); real photos, real models, a real child.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { run } from '../../src/features/media/ffmpeg.js';
import { Models } from '../../src/models/index.js';
import { ownThreads } from '../../src/util/work-nice.js';
import { DATA } from '../helpers/paths.js';
import { photoExtractor } from '../helpers/image-features.js';

const coco = join(DATA, 'coco-captions-mini/images/val2017');
const photos = readdirSync(coco).filter((f) => f.endsWith('.jpg')).sort().slice(10, 14).map((f) => join(coco, f));

describe.runIf(process.platform === 'linux')('rerank work beside the event loop runs at models.inferenceNice', () => {
  let models: Models;
  let fx: FeatureExtractor;
  beforeAll(async () => void ({ models, fx } = await photoExtractor()));
  afterAll(() => Promise.all([fx.close(), models.close()]));

  it('the configured nice is 10 (the default), and this process starts at 0', () => {
    expect(models.config.inferenceNice).toBe(10);
    expect(ownThreads().find((t) => t.tid === process.pid)!.nice).toBe(0);
  });

  it('the image worker thread and the libvips worker threads run at nice 10 after photos are decoded and prepared; the main thread stays at 0', async () => {
    const res = await fx.images(photos, { detect: true, ocr: false });
    expect(res).toHaveLength(photos.length);
    const threads = ownThreads();
    const prep = threads.filter((t) => t.comm === 'vlr-prep');
    const vips = threads.filter((t) => t.comm === 'libvips worker');
    expect(vips.length).toBeGreaterThan(0);
    expect(vips.map((t) => t.nice)).toEqual(vips.map(() => 10));
    expect(prep.map((t) => t.nice)).toEqual([10]);
    expect(threads.find((t) => t.tid === process.pid)!.nice).toBe(0);
  });

  it('a child the ffmpeg runner starts runs at nice 10 (read by the child itself, after it was handed its input)', async () => {
    // `read` waits for stdin, which the runner writes only after lowering the child's priority
    const r = await run('/bin/sh', ['-c', 'read x; cut -d" " -f19 /proc/self/stat'], { stdin: Buffer.from('go\n'), deadline: performance.now() + 30_000, maxStdout: 1024, tool: 'sh' });
    expect(r.code).toBe(0);
    expect(r.stdout.toString().trim()).toBe('10');
  });
});
