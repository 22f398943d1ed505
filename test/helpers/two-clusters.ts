/**
 * Two Elasticsearch 8.19 clusters of a test's own (own-engine.ts), the second the first's remote
 * `other` (`cluster.remote.other.seeds`, `skip_unavailable: true`), `TITLES` in `index` on each (ids
 * 0… locally, 100… on the remote, written directly: no records), connected once a search over both
 * answers both — what the cross-cluster search tests start from, with a vlrerank in front of the
 * first; and `call`, a request whose JSON answer is read.
 */
import { expect } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { startOwnElasticsearch, type OwnEngine } from './own-engine.js';
import { TITLES } from './own-engine-proxy.js';
import { DATA, MODELS } from './paths.js';
import { pipelinesDir } from './search-fixtures.js';
import { until } from './until.js';

export async function call(base: string, method: string, path: string, body?: unknown, ndjson = false): Promise<{ status: number; body: any; text: string }> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await r.text();
  return { status: r.status, text, body: text ? JSON.parse(text) : undefined };
}

/** `TITLES` into `index` of `es`, ids from `from`. */
export async function titles(es: OwnEngine, index: string, from: number): Promise<void> {
  const lines = TITLES.flatMap((t, i) => [JSON.stringify({ index: { _index: index, _id: String(from + i) } }), JSON.stringify({ title: t })]);
  expect((await call(es.url, 'POST', '/_bulk?refresh=true', `${lines.join('\n')}\n`, true)).status).toBe(200);
}

/** `name`: the nodes' name prefix (their folders and cluster names). */
export async function twoClusters(name: string, index: string): Promise<{ local: OwnEngine; remote: OwnEngine }> {
  const [local, remote] = await Promise.all([startOwnElasticsearch(`${name}-local`), startOwnElasticsearch(`${name}-remote`)]);
  await Promise.all([local.start(), remote.start()]);
  const set = await call(local.url, 'PUT', '/_cluster/settings', { persistent: { 'cluster.remote.other.seeds': [`127.0.0.1:${remote.transport}`], 'cluster.remote.other.skip_unavailable': true } });
  expect(set.status).toBe(200);
  await titles(local, index, 0);
  await titles(remote, index, 100);
  await until(async () => (await call(local.url, 'GET', `/${index},other:${index}/_search?size=0`)).body?._clusters?.successful === 2, { tries: 120, everyMs: 500, what: 'the remote cluster connected' });
  return { local, remote };
}

/**
 * A vlrerank in front of `local` with these pipeline files, its models warm. What the engine said an
 * expression names is kept 10 minutes: only the search's own evidence (stray hits, an empty answer
 * not kept) makes it ask again within a test.
 */
export async function vlrerankBefore(local: OwnEngine, pipelines: Record<string, string>): Promise<RunningServer> {
  const srv = await startServer(
    parseConfig({
      server: { host: '127.0.0.1', port: 0, ui: false },
      upstream: { urls: [local.url] },
      log: { level: 'silent', access: false },
      models: { dir: MODELS, intraOpThreads: 2 },
      media: { roots: [DATA] },
      store: { disk: { path: 'off' } },
      pipelines: { dir: pipelinesDir(pipelines), aliasCacheMs: 600_000 },
    }),
  );
  await srv.services.reranker.warm.wait();
  return srv;
}
