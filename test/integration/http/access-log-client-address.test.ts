/**
 * Which client an access line is about (held-out probe round 14e): behind Debian's HAProxy run from
 * docs/haproxy.cfg (`option forwardfor`) every request reached vlrerank from the balancer, and no line
 * said any address at all — an operator could tell neither the client nor the balancer. A line now
 * carries `remote` (the connection's peer: the balancer here) and `forwarded_for` / `forwarded`, the
 * `X-Forwarded-For` / `Forwarded` headers as sent (a client's own one and HAProxy's joined, as
 * RFC 9110 §5.3 reads repeated fields; unchecked). vlrerank listening on `::` (`--host ::`) and
 * reached over IPv6 logs `::1`. Real Elasticsearch 8.19 behind, the official client in front.
 */
import { Writable } from 'node:stream';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { startHaproxy, type RunningHaproxy } from '../../helpers/haproxy.js';
import { startEdgeServer } from '../../helpers/http-server.js';
import { rawExchange } from '../../helpers/raw-http.js';
import { until } from '../../helpers/until.js';

interface Access {
  method?: string;
  route?: string;
  path: string;
  status: number;
  remote?: string;
  forwarded_for?: string;
  forwarded?: string;
}

const lines: string[] = [];
const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(...String(c).split('\n').filter(Boolean)), cb()) }));
const accessLines = (): Access[] => lines.map((l) => JSON.parse(l) as { access?: Access }).flatMap((l) => (l.access ? [l.access] : []));
const lineFor = async (path: string): Promise<Access> => {
  await until(() => accessLines().some((a) => a.path === path), { tries: 300, everyMs: 100, what: `an access line for ${path}` });
  return accessLines().find((a) => a.path === path)!;
};

let srv: RunningServer;
let v6: RunningServer;
let haproxy: RunningHaproxy;

beforeAll(async () => {
  const upstream = await useEngine('elasticsearch');
  srv = await startEdgeServer({ upstream, log: { level: 'info', access: true }, logger });
  v6 = await startEdgeServer({ upstream, server: { host: '::' }, log: { level: 'info', access: true }, logger });
  haproxy = await startHaproxy([srv.url]);
});

afterAll(async () => {
  await haproxy?.stop();
  await srv?.close();
  await v6?.close();
});

it('behind HAProxy a line names the balancer as remote and the client HAProxy forwarded for', async () => {
  const es = new Client({ node: haproxy.url });
  await es.cluster.health({ filter_path: 'status,p14e1' });
  const a = await lineFor('/_cluster/health?filter_path=status%2Cp14e1');
  expect(a.status).toBe(200);
  expect(a.remote).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  expect(a.forwarded_for).toBe('127.0.0.1');
  await es.close();
});

it("a client's own X-Forwarded-For and Forwarded are kept, HAProxy's address after them", async () => {
  const res = await fetch(`${haproxy.url}/_cluster/health?filter_path=status,p14e2`, { headers: { 'x-forwarded-for': '203.0.113.7', forwarded: 'for="[2001:db8::1]";proto=https' } });
  await res.arrayBuffer();
  const a = await lineFor('/_cluster/health?filter_path=status,p14e2');
  expect(a.forwarded_for).toBe('203.0.113.7, 127.0.0.1');
  expect(a.forwarded).toBe('for="[2001:db8::1]";proto=https');
});

it('a direct client has remote only; over IPv6 it is ::1', async () => {
  await (await fetch(`${srv.url}/_cluster/health?filter_path=status,p14e3`)).arrayBuffer();
  const a = await lineFor('/_cluster/health?filter_path=status,p14e3');
  expect(a.remote).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  expect(a.forwarded_for).toBeUndefined();
  const port = new URL(v6.url).port;
  await (await fetch(`http://[::1]:${port}/_cluster/health?filter_path=status,p14e4`)).arrayBuffer();
  expect((await lineFor('/_cluster/health?filter_path=status,p14e4')).remote).toBe('::1');
});

it("a request Node's parser refuses is logged with its peer's address too", async () => {
  const raw = (await rawExchange(srv.url, 'M1X /p14e5 HTTP/1.1\r\nHost: x\r\n\r\n')).toString('latin1');
  expect(raw).toMatch(/^HTTP\/1\.1 400/);
  await until(() => accessLines().some((a) => a.route === 'unparsed'), { tries: 300, everyMs: 100, what: 'the unparsed line' });
  expect(accessLines().find((a) => a.route === 'unparsed')!.remote).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
});
