// Every page of the UI loads in real Chromium from the proxy, with no request leaving the
// machine (no CDN, no font), is usable from the keyboard, and is screenshotted (desktop + phone).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startStack, shot, type Stack } from './harness.js';

let stack: Stack;
const external: string[] = [];
beforeAll(async () => {
  stack = await startStack();
  stack.page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && u.protocol !== 'data:' && u.protocol !== 'blob:') external.push(r.url());
  });
});
afterAll(async () => {
  await stack?.close();
});

describe('UI pages in Chromium', () => {
  it('search, playground and status render, and nothing is fetched from outside', async () => {
    const { page, server } = stack;
    await page.goto(`${server.url}/_vlrerank/ui/#/search`);
    // the page renders after the hash route is read: wait for its heading, then check it
    await page.waitForSelector('h1:text-is("Search")');
    expect(await page.locator('h1').textContent()).toBe('Search');
    await page.waitForSelector('select[name=index] option', { state: 'attached' });
    await shot(page, 'search-empty');

    await page.click('nav a[data-page=playground]');
    await page.waitForSelector('h1:text-is("Playground")');
    expect(await page.locator('h1').textContent()).toBe('Playground');
    await page.waitForSelector('aside.models h2');
    await shot(page, 'playground-empty');

    await page.click('nav a[data-page=status]');
    await page.waitForSelector('[data-health]');
    const health = await page.getAttribute('[data-health]', 'data-health');
    expect(['green', 'yellow']).toContain(health);
    await page.waitForSelector('figure.chart');
    await page.waitForTimeout(4500); // a few samples for the charts
    await shot(page, 'status');
    expect(await page.locator('dl.kv dt').allTextContents()).toContain('requests');
    expect(external).toEqual([]);
  });

  it('the navigation and the search form are reachable with the keyboard', async () => {
    const { page, server } = stack;
    await page.goto(`${server.url}/_vlrerank/ui/#/search`);
    await page.reload();
    await page.waitForSelector('select[name=index]');
    const seen: string[] = [];
    for (let i = 0; i < 14; i++) {
      await page.keyboard.press('Tab');
      seen.push(await page.evaluate(() => {
        const a = document.activeElement as HTMLElement | null;
        return a ? `${a.tagName.toLowerCase()}${a.getAttribute('name') ? `[${a.getAttribute('name')}]` : ''}${a.dataset.page ? `:${a.dataset.page}` : ''}${(a as HTMLInputElement).type ? `(${(a as HTMLInputElement).type})` : ''}` : '';
      }));
    }
    expect(seen).toContain('a:playground');
    expect(seen).toContain('select[index](select-one)');
    expect(seen).toContain('input[q](search)');
    expect(seen).toContain('input(file)');
    // Enter on a nav link switches page
    await page.focus('nav a[data-page=status]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1:text("Status")');
  });

  it('is readable on a phone-sized screen (no horizontal scrolling)', async () => {
    const { context, server } = stack;
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    try {
      for (const p of ['search', 'playground']) {
        await phone.goto(`${server.url}/_vlrerank/ui/#/${p}`);
        await phone.waitForSelector('h1');
        const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${p} overflows horizontally by ${overflow}px`).toBeLessThanOrEqual(0);
        await shot(phone, `${p}-phone`);
      }
    } finally {
      await phone.close();
    }
  });
});
