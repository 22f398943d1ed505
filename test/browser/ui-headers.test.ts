// The demo UI keeps the admin token in its origin's localStorage and offers model Load/Unload with
// it, on the same origin as the whole proxy. Held-out probe round 21c found it sent no security
// headers at all: any site could frame it (clickjacking a visitor into Unload), and nothing but the
// page's own care stood between a document's fields and a script. Here, in Debian's Chromium: a page
// of another origin framing the UI gets nothing drawn (fails on the old server: the UI loads in the
// frame), and the UI under its Content-Security-Policy still searches, shows a hit's thumbnail and
// its meters, and renders the playground and status pages with no violation reported (a guard).
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshIndex, startStack, type Stack } from './harness.js';
import { DATA } from '../helpers/paths.js';

const INDEX = 'kb-ui-headers';
let stack: Stack;
let other: Server;
let otherUrl: string;
const violations: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  await freshIndex(stack.es, INDEX, [
    { _id: 'rocket', title: 'A rocket <img src=x onerror="window.__pwned=1">', text: 'A rocket lifts off from its launch pad into the sky.', image: join(DATA, 'skimage-clip-smoke/images/rocket.jpg') },
    { _id: 'coffee', title: 'Coffee', text: 'A small cup of strong coffee.', image: 'javascript:window.__pwned=2//.jpg' },
  ]);
  // another origin (another port): a page that frames the UI
  other = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><iframe id="f" src="${stack.server.url}/_vlrerank/ui/#/playground" width="800" height="600"></iframe>`));
  other.listen(0, '127.0.0.1');
  await once(other, 'listening');
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
  stack.page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await stack.page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`)));
}, 300_000);
afterAll(async () => {
  await fetch(`${stack?.es}/${INDEX}`, { method: 'DELETE' }).catch(() => {});
  other?.close();
  await stack?.close();
});

describe('the UI’s own headers in Chromium', () => {
  it('a page of another origin cannot frame the UI', async () => {
    const { page } = stack;
    await page.goto(otherUrl);
    await page.waitForLoadState('load');
    const frame = page.frames().find((f) => f !== page.mainFrame());
    // blocked by frame-ancestors / X-Frame-Options: the frame holds Chromium's error page, not the UI
    const drawn = frame ? await frame.locator('main#main, nav[aria-label=Pages]').count().catch(() => 0) : 0;
    expect(drawn).toBe(0);
  });

  it('a page of another origin drives no model and no admin action with the requests it may send unasked', async () => {
    const { page, server } = stack;
    await page.goto(otherUrl);
    const statuses: Record<string, number> = {};
    const seen = (r: import('playwright-core').Response) => {
      const u = new URL(r.url());
      if (u.origin === server.url) statuses[`${r.request().method()} ${u.pathname} ${r.request().headers()['content-type'] ?? 'no type'}`] = r.status();
    };
    page.on('response', seen);
    await page.evaluate(async (base) => {
      const body = JSON.stringify({ query: 'a rocket', documents: ['a rocket', 'a cup of coffee'] });
      // what a page may send across origins without a preflight: text/plain, a typeless Blob, a form
      await fetch(`${base}/v1/rerank`, { method: 'POST', mode: 'no-cors', body });
      await fetch(`${base}/v2/rerank`, { method: 'POST', mode: 'no-cors', body: new Blob([body]) });
      await fetch(`${base}/_vlrerank/pipelines/_reload`, { method: 'POST', mode: 'no-cors', body: new URLSearchParams({ a: '1' }) });
      await fetch(`${base}/_vlrerank/models/bge-small-en-v1.5/_unload`, { method: 'POST', mode: 'no-cors' });
    }, server.url);
    page.off('response', seen);
    expect(statuses).toEqual({
      'POST /v1/rerank text/plain;charset=UTF-8': 415,
      'POST /v2/rerank no type': 415,
      'POST /_vlrerank/pipelines/_reload application/x-www-form-urlencoded;charset=UTF-8': 401,
      'POST /_vlrerank/models/bge-small-en-v1.5/_unload no type': 401,
    });
  });

  it('the UI still works under its policy: search with thumbnails and meters, playground, status — no violation, no script from a document', async () => {
    const { page, server } = stack;
    violations.length = 0; // the framing refused above is reported as one
    await page.goto(`${server.url}/_vlrerank/ui/#/search`);
    await page.reload();
    await page.waitForSelector(`select[name=index] option[value="${INDEX}"]`, { state: 'attached' });
    await page.selectOption('select[name=index]', INDEX);
    await page.fill('input[name=q]', 'rocket launch');
    await page.click('form.query button[type=submit]');
    await page.waitForSelector('section.results[aria-busy=false] :is(li.card, .msg.error, .msg.warn)', { timeout: 110_000 });
    expect(await page.locator('section.results li.card').count()).toBeGreaterThan(0);
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('section.results img')].some((i) => i.complete && i.naturalWidth > 0), undefined, { timeout: 30_000 });
    await page.click('nav a[data-page=playground]');
    await page.waitForSelector('h1:text-is("Playground")');
    await page.click('nav a[data-page=status]');
    await page.waitForSelector('[data-health]');
    await page.waitForTimeout(2500);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(violations).toEqual([]);
  });

  it('the page and the media endpoint carry their headers', async () => {
    const ui = await fetch(`${stack.server.url}/_vlrerank/ui/`);
    expect(ui.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(ui.headers.get('x-frame-options')).toBe('DENY');
    expect(ui.headers.get('x-content-type-options')).toBe('nosniff');
    await ui.body?.cancel();
    const media = await fetch(`${stack.server.url}/_vlrerank/media?src=${encodeURIComponent(join(DATA, 'skimage-clip-smoke/images/rocket.jpg'))}`);
    expect(media.status).toBe(200);
    expect(media.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(media.headers.get('x-content-type-options')).toBe('nosniff');
    await media.body?.cancel();
  });
});
