// Search by video in real Chromium: drop a clip on the search page of a video index; the same clip
// comes back first in the first stage (kNN on clip vectors), hits are shown as strips of frames.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { startStack, shot, type Stack } from './harness.js';
import { ensureDemoIndices } from '../../scripts/demo/indices.js';
import { loadPipelines } from '../../src/pipelines/index.js';
import { DATA, REPO_ROOT } from '../helpers/paths.js';

const INDEX = 'videos-browser';
const CLIP = join(DATA, 'intel-sample-videos/clips/people-detection.mp4');
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
  const videos = loadPipelines(join(REPO_ROOT, 'pipelines'), REPO_ROOT).find((p) => p.name === 'videos')!;
  // the 15 short scene clips (the ASL signs and the two long originals are left out to keep CI short)
  const [report] = await ensureDemoIndices({ proxyUrl: stack.server.url, dataDir: DATA, names: ['videos'], pipelines: { videos }, suffix: '-browser', select: (d) => d.kind === 'scene_preview_clip' });
  expect(report!.docs).toBe(15);
  expect(report!.withoutVectors).toBe(0);
}, 600_000);
afterAll(async () => {
  await stack?.close();
});

describe('search by video in Chromium', () => {
  it('a dropped clip finds itself in the first stage, and both columns show frame strips', async () => {
    const { page, server } = stack;
    await page.goto(`${server.url}/_vlrerank/ui/#/search`);
    await page.waitForSelector(`select[name=index] option[value="${INDEX}"]`, { state: 'attached' });
    await page.selectOption('select[name=index]', INDEX);
    await page.setInputFiles('form.query input[type=file]', CLIP);
    await page.waitForSelector('form.query .preview video');
    await page.fill('input[name=window]', '15');
    await page.click('form.query button[type=submit]');
    await page.waitForFunction(() => {
      const b = document.querySelector<HTMLButtonElement>('form.query button[type=submit]');
      return !!b && !b.disabled && !!document.querySelector('section.results .cols, section.results .msg.error');
    }, undefined, { timeout: 110_000 });
    expect(await page.locator('section.results .msg.error').allTextContents()).toEqual([]);
    const degraded = await page.locator('section.results .msg.warn').allTextContents();
    const reranked = await page.locator('[data-col=reranked] li.card').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id));
    console.log(`search by video (people-detection.mp4): reranked ${reranked.slice(0, 5).join(', ')}${degraded.length ? ` — ${degraded.join(' ')}` : ''}`);
    const first = await page.locator('[data-col=first] li.card').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id));
    // The query clip itself is first by kNN on the clip vectors. After reranking it is not always
    // (measured: 4th of 15, because the video↔video signal's calibration saturates near 1 for
    // every clip and the video↔title signal decides): reported to the reranker; the page shows
    // both columns either way, which is what this test checks.
    expect(first[0]).toBe('clips_people-detection_mp4');
    expect(reranked).toContain('clips_people-detection_mp4');
    expect(await page.locator('[data-col=reranked] li.card .delta').count()).toBe(reranked.length);
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('[data-col=reranked] img.strip')].slice(0, 3).every((i) => i.complete && i.naturalWidth > 0), undefined, { timeout: 60_000 });
    await shot(page, 'search-by-video');
  });
});
