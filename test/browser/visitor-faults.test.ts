// The UI as a visitor meets it when things go oddly (held-out probe round 12c), in real Chromium
// against the real proxy and Elasticsearch: a second query typed while the first is still under
// way, a 360 px phone, an index no pipeline covers, a status page left or never answered, answers
// that are not what the page asked for, hostile text in documents. Each check is an outcome on
// the page; a slow or hanging answer is a route held by the test (the fault: an engine that is
// slow, a server that never answers), never a timed assertion. Screenshots in test/artifacts/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, shot, freshIndex, type Stack } from './harness.js';
import { DATA } from '../helpers/paths.js';

const INDEX = 'p12c-ui-visitor';
const LONG = `Supercalifragilistic${'expialidocious'.repeat(12)}`;
const PHOTO = join(DATA, 'grocery-store-products/queries/test/Packages/Juice/God-Morgon-Orange-Red-Grapefruit-Juice/God-Morgon-Orange-Red-Grapefruit-Juice_001.jpg');
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
  const docs = [
    { _id: 'a1', title: 'alpha one', description: 'alpha' },
    { _id: 'a2', title: 'alpha two', description: 'alpha' },
    { _id: 'b1', title: 'beta one', description: 'beta' },
    { _id: 'b2', title: 'beta two', description: 'beta' },
    { _id: 'long', title: `gamma ${LONG}`, description: `gamma ${LONG}` },
    { _id: '<script>window.__xss=1</script>', title: 'gamma <img src=x onerror="window.__xss=2">', description: 'gamma <script>window.__xss=3</script>', image: 'javascript:window.__xss=4//x.jpg' },
  ];
  await freshIndex(stack.es, INDEX, docs);
}, 300_000);
afterAll(async () => {
  await fetch(`${stack?.es}/${INDEX}`, { method: 'DELETE' }).catch(() => {});
  await stack?.close();
});

async function openSearch(): Promise<void> {
  const { page, server } = stack;
  await page.goto(`${server.url}/_vlrerank/ui/#/search`);
  await page.reload(); // a fresh page each time (goto with only a new #hash keeps the document)
  await page.waitForSelector(`select[name=index] option[value="${INDEX}"]`, { state: 'attached' });
  await page.selectOption('select[name=index]', INDEX);
}
const settled = () => stack.page.waitForFunction(() => document.querySelector('section.results')?.getAttribute('aria-busy') === 'false' && !document.querySelector('section.results .msg.info:only-child'));
const cardIds = () => stack.page.locator('li.card').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id));
const messages = () => stack.page.locator('section.results .msg').allTextContents();

describe('the UI when a visitor does odd things', () => {
  it('a query submitted while another is under way replaces it: the hits shown are the new query’s, whenever the old answer comes', async () => {
    const { page } = stack;
    await openSearch();
    await page.uncheck('input[name=rerank]');
    let release!: () => void;
    const gate = new Promise<void>((ok) => (release = ok));
    let firstSeen!: () => void;
    const seen = new Promise<void>((ok) => (firstSeen = ok));
    let firstDone: Promise<unknown> = Promise.resolve();
    let n = 0;
    await page.route(`**/${INDEX}/_search`, async (route) => {
      if (n++ > 0) return route.continue();
      firstSeen();
      firstDone = gate.then(() => route.continue()).catch(() => {}); // the slow engine answers the first search late
    });
    try {
      await page.fill('input[name=q]', 'alpha');
      await page.press('input[name=q]', 'Enter');
      await seen;
      await page.fill('input[name=q]', 'beta');
      await page.press('input[name=q]', 'Enter');
      release();
      await firstDone;
      await settled();
      await page.waitForTimeout(300); // let a late answer be drawn, if the page would draw it
      expect(n).toBe(2); // the second Enter was sent, not ignored
      expect((await cardIds()).sort()).toEqual(['b1', 'b2']);
      expect(await page.inputValue('input[name=q]')).toBe('beta');
    } finally {
      release();
      await page.unroute(`**/${INDEX}/_search`);
    }
  });

  it('at 360 px a hit with a long unbroken title wraps: no sideways scrolling; hostile text in documents stays text', async () => {
    const { page } = stack;
    await page.setViewportSize({ width: 360, height: 800 });
    try {
      await openSearch();
      await page.uncheck('input[name=rerank]');
      await page.fill('input[name=q]', 'gamma');
      await page.click('form.query button[type=submit]');
      await settled();
      expect((await cardIds()).length).toBe(2);
      await shot(page, 'visitor-360-long-title');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      expect(await page.locator('li.card h3').allTextContents()).toContain('gamma <img src=x onerror="window.__xss=2">');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('a reranked search on an index no pipeline covers says that, not that the server lacks the search integration', async () => {
    const { page } = stack;
    await openSearch();
    await page.fill('input[name=q]', 'alpha');
    await page.click('form.query button[type=submit]');
    await settled();
    const text = (await messages()).join('\n');
    expect(text).toMatch(/no vlrerank pipeline covers index/);
    expect(text).toMatch(/index_patterns/);
    expect(text).not.toMatch(/needs the search integration/);
  });

  it('a search the network drops, and an answer that is not a search response, are said as such — never "No hits."', async () => {
    const { page } = stack;
    await openSearch();
    await page.uncheck('input[name=rerank]');
    await page.fill('input[name=q]', 'alpha');
    const answers: Array<[number, string, string]> = [
      [200, 'text/html', '<html><body><h1>Welcome to the gateway</h1></body></html>'], // a gateway's page answered 200
      [200, 'application/json', '{"hits":null}'],
      [502, 'text/html', '<html><head><style>h1{}</style></head><body><h1>502 Bad Gateway</h1></body></html>'],
    ];
    for (const [status, type, body] of answers) {
      await page.route(`**/${INDEX}/_search`, (r) => r.fulfill({ status, contentType: type, body }));
      await page.click('form.query button[type=submit]');
      await settled();
      const text = (await messages()).join('\n');
      expect(text).not.toMatch(/No hits/);
      expect(text).not.toMatch(/<html|<h1|h1\{/);
      expect(text).toMatch(status === 200 ? /not a search response/ : /HTTP 502\): 502 Bad Gateway/);
      await page.unroute(`**/${INDEX}/_search`);
    }
    await page.route(`**/${INDEX}/_search`, (r) => r.abort('connectionreset'));
    await page.click('form.query button[type=submit]');
    await settled();
    const text = (await messages()).join('\n');
    expect(text).toMatch(/cannot reach the vlrerank server/);
    expect(text).not.toMatch(/search integration/);
    await page.unroute(`**/${INDEX}/_search`);
  });

  it('a refused file replaces the one picked before, and the refusal goes once a good file is picked', async () => {
    const { page } = stack;
    await openSearch();
    const dir = mkdtempSync(join(tmpdir(), 'vlr-ui-'));
    writeFileSync(join(dir, 'notes.txt'), 'not a photo');
    await page.setInputFiles('form.query input[type=file]', PHOTO);
    await page.waitForSelector('form.query .preview img');
    await page.setInputFiles('form.query input[type=file]', join(dir, 'notes.txt'));
    expect(await page.locator('form.query .drop-text').textContent()).toMatch(/notes\.txt: not an image\/video file/);
    expect(await page.locator('form.query .preview img').count()).toBe(0);
    await page.setInputFiles('form.query input[type=file]', PHOTO);
    await page.waitForSelector('form.query .preview img');
    expect(await page.locator('form.query .drop-text').textContent()).not.toMatch(/not an/);
    // an iPhone's HEIC photo (often no MIME type off Apple systems; the bytes do not matter here) is
    // named as what it is, not "not an image" (held-out probe round 13c); likewise an SVG
    for (const [name, type, said] of [['IMG_0001.HEIC', '', /IMG_0001\.HEIC: HEIC\/HEIF photos are not decoded — export it as JPEG/], ['logo.svg', 'image/svg+xml', /logo\.svg: SVG drawings are not decoded/]] as const) {
      await page.setInputFiles('form.query input[type=file]', { name, mimeType: type, buffer: Buffer.from('not decoded here') });
      expect(await page.locator('form.query .drop-text').textContent()).toMatch(said);
      expect(await page.locator('form.query .preview img').count()).toBe(0);
    }
  });

  it('the status page stops asking once left, and says so when the server never answers', async () => {
    const { page, server } = stack;
    let health = 0;
    const count = (r: { url(): string }) => void (r.url().includes('/_vlrerank/health') && health++);
    await page.goto(`${server.url}/_vlrerank/ui/#/search`);
    await page.clock.install();
    await page.reload();
    page.on('request', count);
    try {
      for (let i = 0; i < 3; i++) {
        await page.evaluate(() => (location.hash = '#/status'));
        await page.waitForSelector('[data-health]');
        await page.evaluate(() => (location.hash = '#/search'));
        await page.waitForSelector('h1:text-is("Search")');
      }
      health = 0;
      await page.clock.runFor(20_000); // ten of the status page's 2 s ticks
      expect(health).toBe(0);

      await page.route('**/_vlrerank/health', () => {}); // a server that never answers
      await page.evaluate(() => (location.hash = '#/status'));
      await page.waitForSelector('section[aria-label=health] h2');
      await page.clock.runFor(11_000);
      await page.waitForSelector('section[aria-label=health] .msg.error');
      expect(await page.locator('section[aria-label=health]').textContent()).toMatch(/no answer from the server/);
      await shot(page, 'visitor-status-no-answer');
    } finally {
      page.off('request', count);
      await page.unroute('**/_vlrerank/health');
    }
  });

  it('a rerank asked while another is under way replaces it in the playground too', async () => {
    const { page, server } = stack;
    await page.goto(`${server.url}/_vlrerank/ui/#/playground`);
    await page.reload();
    await page.fill('input[name=query]', 'a dog');
    let release!: () => void;
    const gate = new Promise<void>((ok) => (release = ok));
    let firstSeen!: () => void;
    const seen = new Promise<void>((ok) => (firstSeen = ok));
    let firstDone: Promise<unknown> = Promise.resolve();
    let n = 0;
    await page.route('**/_vlrerank/rerank', async (route) => {
      if (n++ > 0) return route.continue();
      firstSeen();
      firstDone = gate.then(() => route.continue()).catch(() => {});
    });
    try {
      await page.press('input[name=query]', 'Enter');
      await seen;
      await page.locator('.cand textarea').first().fill('A cat asleep on a sofa.');
      await page.fill('input[name=query]', 'a cat');
      await page.press('input[name=query]', 'Enter');
      release();
      await firstDone;
      await page.waitForFunction(() => document.querySelector('section.rankout')?.getAttribute('aria-busy') !== 'true' && !!document.querySelector('ol.rankedlist, section.rankout .msg.error'), undefined, { timeout: 110_000 });
      await page.waitForTimeout(300); // let a late answer be drawn, if the page would draw it
      expect(n).toBe(2);
      const texts = await page.locator('ol.rankedlist .ctext').allTextContents();
      // an error drawn instead (an overloaded machine: the budget spent, 429) is named in the failure
      expect(texts, `the playground showed: ${await page.locator('section.rankout').textContent()}`).toContain('A cat asleep on a sofa.');
      expect(texts[0]).toBe('A cat asleep on a sofa.');
    } finally {
      release();
      await page.unroute('**/_vlrerank/rerank');
    }
  });

  it('the playground says so when the answer is not a ranking of its candidates', async () => {
    const { page, server } = stack;
    await page.goto(`${server.url}/_vlrerank/ui/#/playground`);
    await page.reload();
    await page.fill('input[name=query]', 'a dog');
    await page.route('**/_vlrerank/rerank', (r) => r.fulfill({ status: 200, contentType: 'application/json', body: '{"results":[{"index":7,"score":0.5}]}' }));
    try {
      await page.click('button[name=rerank]');
      await page.waitForSelector('.rankout .msg.error');
      expect(await page.locator('.rankout').textContent()).toMatch(/not a ranking of these 2 candidates/);
    } finally {
      await page.unroute('**/_vlrerank/rerank');
    }
  });
});

describe('the UI when the engine is down', () => {
  it('a search says why there is no index to search, not only "Pick an index first."', async () => {
    const down = await startStack({ engine: false });
    try {
      const { page, server } = down;
      await page.goto(`${server.url}/_vlrerank/ui/#/search`);
      await page.waitForSelector('section.results .msg.error');
      await page.fill('input[name=q]', 'juice');
      await page.click('form.query button[type=submit]');
      const text = (await page.locator('section.results .msg').allTextContents()).join('\n');
      expect(text).toMatch(/No index to search: Listing the indices through the proxy failed \(HTTP 502\)/);
      expect(text).toMatch(/unreachable/);
      await shot(page, 'visitor-engine-down');
    } finally {
      await down.close();
    }
  });
});
