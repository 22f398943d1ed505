import { describe, it, expect, afterAll } from 'vitest';
import { request } from 'undici';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { parseConfig } from '../../src/config/load.js';

// /_vlrerank/ belongs to the proxy: an unknown path there must be an ES-shaped 404 from vlrerank,
// not forwarded to the engine (which answers a confusing 405 or, here, a 502 since nothing listens).
describe('unknown /_vlrerank/ path', () => {
  let running: RunningServer | undefined;
  afterAll(async () => running?.close());

  it('answers an ES-shaped 404 without touching the upstream', async () => {
    running = await startServer(parseConfig({ server: { port: 0 }, upstream: { urls: ['http://127.0.0.1:9'] }, log: { level: 'silent' } }));
    const res = await request(`${running.url}/_vlrerank/no-such-thing`);
    const body = (await res.body.json()) as { error: { type: string; reason: string }; status: number };
    expect(res.statusCode).toBe(404);
    expect(body.status).toBe(404);
    expect(body.error.type).toBe('resource_not_found_exception');
    expect(body.error.reason).toContain('/_vlrerank/no-such-thing');
  });
});
