/**
 * Kept-alive connections to a proxy between vlrerank and the engine (held-out probe round 17c):
 * Debian's nginx in front of Elasticsearch 8.19 closes a client connection idle past its
 * `keepalive_timeout` (75 s by default, often 5–10 s in hardened configs; HAProxy's
 * `timeout http-keep-alive` and cloud balancers likewise). vlrerank kept idle connections for a fixed
 * 30 s, so a write sent as the proxy closed one was lost as a 502 "other side closed" (writes are not
 * retried): behind nginx with `keepalive_timeout 1s`, 2 of 70 `_bulk` writes a second apart. That
 * race cannot be timed in a test; what closes it can be seen: by default vlrerank no longer reuses
 * a connection idle for 4.5 s (nginx here would keep it 10 s) — it opens a new one — and
 * `upstream.keepAliveTimeoutMs` sets that bound (a long one reuses it, the control).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { startEdgeServer } from '../../helpers/http-server.js';
import { runNginx, type RunningNginx } from '../../helpers/nginx.js';
import { until } from '../../helpers/until.js';

const INDEX = 'keep-alive-nginx';
const logDir = mkdtempSync(join(tmpdir(), 'vlr-nginx-log-'));
let nginx: RunningNginx;
let engine: string;
const servers: RunningServer[] = [];

beforeAll(async () => {
  engine = await useEngine('elasticsearch');
  await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
  nginx = await runNginx(2, (ports) => `
  log_format conn '$server_port $connection $request';
  keepalive_timeout 10s;
  ${ports.map((p) => `server { listen 127.0.0.1:${p}; access_log ${logDir}/access.log conn; location / { proxy_pass http://${new URL(engine).host}; } }`).join('\n  ')}
`);
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await nginx?.stop();
  await fetch(`${engine}/${INDEX}`, { method: 'DELETE' }).catch(() => {});
});

/** nginx's connection number of each `_bulk` that reached it through `port`. */
function bulkConnections(port: string): string[] {
  return readFileSync(join(logDir, 'access.log'), 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[0] === port && f[3]?.startsWith('/_bulk'))
    .map((f) => f[1]!);
}

async function writesApart(i: number, upstream: Record<string, unknown>): Promise<string[]> {
  const srv = await startEdgeServer({ upstream: nginx.urls[i]!, upstreamSettings: upstream });
  servers.push(srv);
  const bulk = (id: string) =>
    fetch(`${srv.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: `${JSON.stringify({ index: { _index: INDEX, _id: id } })}\n{"title":"x"}\n` }).then((r) => r.status);
  expect(await bulk('1')).toBe(200);
  await new Promise((r) => setTimeout(r, 4_500)); // idle longer than the default bound, shorter than nginx's 10 s
  expect(await bulk('2')).toBe(200);
  // nginx writes its access line after answering (another process: how long after, a loaded machine decides)
  const port = new URL(nginx.urls[i]!).port;
  await until(() => bulkConnections(port).length >= 2, { tries: 600, everyMs: 50, what: "nginx's access lines of both writes" });
  return bulkConnections(port);
}

it('by default a connection idle for 4.5 s is not reused (nginx would keep it 10 s); a longer upstream.keepAliveTimeoutMs reuses it', async () => {
  const [byDefault, kept] = await Promise.all([writesApart(0, {}), writesApart(1, { keepAliveTimeoutMs: 60_000 })]);
  expect(byDefault).toHaveLength(2);
  expect(byDefault[0]).not.toBe(byDefault[1]);
  expect(kept).toHaveLength(2);
  expect(kept[0]).toBe(kept[1]);
}, 60_000);
