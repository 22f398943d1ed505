// The UI behind a reverse proxy at a sub-path (held-out probe round 14e): Debian's HAProxy serves
// vlrerank at `/vlr/` (the prefix stripped, anything outside it HAProxy's 404), as an ingress or a
// shared host does. Before: the page asked for `/_vlrerank/ui/assets/…` from the root — a blank
// page — and `/vlr/_vlrerank/ui` was redirected out of the prefix. Now every page, its assets and
// each API call (indices, health, metrics, models, samples) stay under `/vlr/`, in real Chromium.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningHaproxy } from '../helpers/haproxy.js';
import { startSubPathHaproxy } from '../helpers/sub-path-haproxy.js';
import { startStack, type Stack } from './harness.js';

let stack: Stack;
let haproxy: RunningHaproxy;
const asked: Array<{ url: string; status: number }> = [];

beforeAll(async () => {
  stack = await startStack();
  haproxy = await startSubPathHaproxy(stack.server.url, '/vlr');
  stack.page.on('response', (r) => {
    if (!/^(data|blob):/.test(r.url())) asked.push({ url: r.url(), status: r.status() });
  });
}, 180_000);
afterAll(async () => {
  await haproxy?.stop();
  await stack?.close();
});

it('search, playground and status load at /vlr/_vlrerank/ui with every request under /vlr/', async () => {
  const { page } = stack;
  await page.goto(`${haproxy.url}/vlr/_vlrerank/ui`);
  expect(new URL(page.url()).pathname).toBe('/vlr/_vlrerank/ui/');
  await page.waitForSelector('h1:text-is("Search")');
  await page.waitForSelector('select[name=index] option', { state: 'attached' });
  await page.click('nav a[data-page=playground]');
  await page.waitForSelector('aside.models h2');
  await page.click('nav a[data-page=status]');
  await page.waitForSelector('[data-health]');
  expect(['green', 'yellow']).toContain(await page.getAttribute('[data-health]', 'data-health'));
  await page.waitForSelector('figure.chart');
  const paths = asked.map((a) => new URL(a.url).pathname);
  for (const want of ['/vlr/_cat/indices', '/vlr/_vlrerank/health', '/vlr/_vlrerank/metrics', '/vlr/_vlrerank/models']) expect(paths).toContain(want);
  expect(asked.filter((a) => !new URL(a.url).pathname.startsWith('/vlr/'))).toEqual([]);
  expect(asked.filter((a) => a.status === 404)).toEqual([]);
});
