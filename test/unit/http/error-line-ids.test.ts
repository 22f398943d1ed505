/**
 * A warning or error a request caused names the request as its access line does: its
 * `X-Opaque-Id` and the trace id of its `traceparent` (held-out probe round 19a: the "internal
 * error" line, with its stack, named no request — an SRE holding the id from `_tasks`, the engine's
 * slow log or the APM could not find it). A real HTTP server answers through `sendError`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sendError } from '../../../src/http/errors.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { requestIds, traceIdOf } from '../../../src/observability/request-ids.js';

const lines: string[] = [];
const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(...String(c).split('\n').filter(Boolean)), cb()) }));
let srv: Server;
let url: string;
beforeAll(async () => {
  const deps = { logger, metrics: createMetrics() };
  srv = createServer((req, res) => sendError(res, new TypeError('cannot read properties of undefined'), deps));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => srv.close(() => r())));

it('an internal error\'s line carries the request\'s X-Opaque-Id, trace id, method and redacted path', async () => {
  const r = await fetch(`${url}/i/_search?api_key=s3cret`, { method: 'POST', headers: { 'x-opaque-id': 'sre-500', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
  expect(r.status).toBe(500);
  const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'internal error');
  expect(line).toMatchObject({ opaque_id: 'sre-500', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', method: 'POST' });
  expect(String(line?.path)).toMatch(/^\/i\/_search\?/);
  expect(String(line?.path)).not.toContain('s3cret');
});

it('reads the trace id of a well-formed trace context only', () => {
  expect(traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  // a later version may add fields after the flags
  expect(traceIdOf('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  for (const bad of ['hello', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', '00-4bf92f35-00f067aa0ba902b7-01']) expect(traceIdOf(bad), bad).toBeUndefined();
  expect(requestIds(['elastic-apm-traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'])).toEqual({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
  expect(requestIds(['Traceparent', 'junk', 'X-Opaque-Id', 'a'.repeat(300)])).toEqual({ opaque_id: 'a'.repeat(256) });
});
