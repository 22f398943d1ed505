/**
 * The request metrics the access log keeps (http/access-log.ts): counted as plain numbers per
 * request and handed to prom-client at scrape time, they read the same as counting each request
 * in prom-client did — requests by route and status, the in-flight gauge (a request being served
 * is 1, 0 once answered), the duration histogram's count — whether the whole registry is scraped
 * or one metric is read alone, and a second scrape adds nothing.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { requestTracker } from '../../../src/http/access-log.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';

const metrics = createMetrics({ defaults: false });
let server: Server;
let url: string;
let release: (() => void) | undefined;

beforeAll(async () => {
  const track = requestTracker({ metrics, access: false, logger: silentLogger });
  server = createServer((req, res) => {
    track(req, res);
    if (req.url === '/hold/_search') {
      release = () => res.end('held');
      return;
    }
    res.statusCode = req.url === '/missing' ? 404 : 200;
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const line = (text: string, name: string) => text.split('\n').find((l) => l.startsWith(name))?.split(' ').pop();

it('counts requests, in-flight and durations as prom-client reads them at scrape time', async () => {
  for (let i = 0; i < 3; i++) expect((await fetch(`${url}/idx/_doc/1`)).status).toBe(200);
  expect((await fetch(`${url}/missing`)).status).toBe(404);
  const held = fetch(`${url}/hold/_search`);
  while (!release) await new Promise((r) => setTimeout(r, 10));

  let text = await metrics.registry.metrics();
  expect(line(text, 'vlrerank_requests_total{route="proxy",status="200"}')).toBe('3');
  expect(line(text, 'vlrerank_requests_total{route="proxy",status="404"}')).toBe('1');
  expect(line(text, 'vlrerank_requests_in_flight{route="search"}')).toBe('1');
  expect(line(text, 'vlrerank_requests_in_flight{route="proxy"}')).toBe('0');
  expect(line(text, 'vlrerank_request_duration_seconds_count{route="proxy",status="200"}')).toBe('3');

  release();
  expect(await (await held).text()).toBe('held');
  await new Promise((r) => setTimeout(r, 20)); // the server's finish listener runs after the client has the answer
  // one metric read alone is up to date too, and a scrape again adds nothing twice
  const alone = await metrics.requests.get();
  expect(alone.values.find((v) => v.labels.route === 'search' && v.labels.status === '200')?.value).toBe(1);
  expect(alone.values.find((v) => v.labels.route === 'proxy' && v.labels.status === '200')?.value).toBe(3);
  text = await metrics.registry.metrics();
  expect(line(text, 'vlrerank_requests_total{route="proxy",status="200"}')).toBe('3');
  expect(line(text, 'vlrerank_requests_total{route="search",status="200"}')).toBe('1');
  expect(line(text, 'vlrerank_requests_in_flight{route="search"}')).toBe('0');
});

it('still exports the event-loop lag (sampled every 100 ms) with the process defaults', async () => {
  const withDefaults = createMetrics();
  await new Promise((r) => setTimeout(r, 250)); // a few samples
  const text = await withDefaults.registry.metrics();
  expect(line(text, 'vlrerank_nodejs_eventloop_lag_p99_seconds')).toMatch(/^\d/);
  expect(line(text, 'vlrerank_process_cpu_seconds_total')).toMatch(/^\d/);
});

it('a request Node times out while its body arrives (408): counted and logged once, with Node\'s status (task w3a)', async () => {
  const { connect } = await import('node:net');
  const { clientErrorHandler } = await import('../../../src/http/access-log.js');
  const m = createMetrics({ defaults: false });
  const logged: { status: number; route: string }[] = [];
  const deps = { metrics: m, access: true, logger: silentLogger, write: (a: { status: number; route: string }) => void logged.push(a) };
  const track = requestTracker(deps);
  const slow = createServer({ requestTimeout: 300, headersTimeout: 300, connectionsCheckingInterval: 50 }, (req, res) => {
    track(req, res);
    req.on('end', () => res.end('late'));
    req.resume();
  });
  slow.on('clientError', clientErrorHandler(deps));
  slow.listen(0, '127.0.0.1');
  await once(slow, 'listening');
  const port = (slow.address() as { port: number }).port;
  const answer = await new Promise<string>((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (c) => (got += String(c)));
    s.on('close', () => resolve(got));
    s.on('error', () => undefined);
    s.write('POST /idx/_doc/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"a":'); // the rest never comes
  });
  await new Promise((r) => setTimeout(r, 20));
  slow.close();
  expect(answer.startsWith('HTTP/1.1 408 ')).toBe(true);
  expect(logged).toEqual([expect.objectContaining({ status: 408, route: 'proxy' })]);
  expect(line(await m.registry.metrics(), 'vlrerank_requests_total{route="proxy",status="408"}')).toBe('1');
});
