// Playground in real Chromium on the skimage pairs: each description as the query against the 8
// images (report how many rank their own image first), and the model panel: the admin token handed
// over in the URL fragment, a model unloaded and loaded again with its state shown.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startStack, shot, ADMIN_TOKEN, type Stack } from './harness.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ engine: false });
});
afterAll(async () => {
  await stack?.close();
});

async function rerankAndWait(stack: Stack): Promise<void> {
  const { page } = stack;
  await page.click('button[name=rerank]');
  await page.waitForFunction(() => {
    const b = document.querySelector<HTMLButtonElement>('button[name=rerank]');
    return !!b && !b.disabled && !!document.querySelector('ol.rankedlist, section.rankout .msg.error');
  }, undefined, { timeout: 110_000 });
  const err = await page.locator('section.rankout .msg.error').allTextContents();
  expect(err).toEqual([]);
}

describe('playground in Chromium', () => {
  it('takes the admin token from the URL fragment and forgets the fragment', async () => {
    const { page, server } = stack;
    await page.goto(`${server.url}/_vlrerank/ui/#token=${ADMIN_TOKEN}&page=playground`);
    await page.waitForSelector('h1:text("Playground")');
    expect(new URL(page.url()).hash).toBe('#/playground');
    expect(await page.evaluate(() => localStorage.getItem('vlrerank.adminToken'))).toBe(ADMIN_TOKEN);
  });

  it('ranks the skimage images for each description', async () => {
    const { page } = stack;
    await page.waitForSelector('select[name=example] option[value="sk:7"]', { state: 'attached' });
    const names: string[] = [];
    const firsts: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.selectOption('select[name=example]', `sk:${i}`);
      await rerankAndWait(stack);
      const rows = page.locator('ol.rankedlist > li.ranked');
      expect(await rows.count()).toBe(8);
      const scores = (await page.locator('ol.rankedlist .scoreval').allTextContents()).map(Number);
      for (const s of scores) expect(s).toBeGreaterThanOrEqual(0), expect(s).toBeLessThanOrEqual(1);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      // the query's own image: the i-th candidate row holds image i
      names.push(String(i));
      firsts.push((await rows.first().getAttribute('data-index')) ?? '');
      if (i === 0) await shot(page, 'playground-skimage');
    }
    const own = firsts.filter((f, i) => f === names[i]).length;
    console.log(`skimage in the playground: ${own}/8 descriptions rank their own image first (first-ranked candidate per description: ${firsts.join(',')})`);
    // ZERO-SHOT-BRIDGE.md measured 7/8 for the bridge alone; the models decide, we ask for a clear majority
    expect(own).toBeGreaterThanOrEqual(6);
  });

  it('unloads and loads a model from the model panel and shows its state', async () => {
    const { page } = stack;
    const loaded = page.locator('aside.models li.model[data-state=loaded]').first();
    await loaded.waitFor();
    const id = (await loaded.getAttribute('data-model'))!;
    await loaded.locator('button.unload').click();
    const row = page.locator(`aside.models li.model[data-model="${id}"]`);
    await page.waitForSelector(`aside.models li.model[data-model="${id}"][data-state=unloaded]`);
    await shot(page, 'playground-model-unloaded');
    await row.locator('button.load').click();
    await page.waitForSelector(`aside.models li.model[data-model="${id}"][data-state=loaded]`, { timeout: 110_000 });
    expect(await page.locator('aside.models .msg.error').count()).toBe(0);
    await shot(page, 'playground-models');
  });
});
