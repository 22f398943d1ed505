/**
 * An Elasticsearch node of a test's own (own-engine.ts) holding a few product titles, and a
 * vlrerank in front of it with one fail-open text pipeline over `title`, its models warm: what the
 * fault tests that freeze or kill the engine under reranked searches start from.
 */
import { expect } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import type { OwnEngine } from './own-engine.js';
import { DATA, MODELS } from './paths.js';
import { pipelinesDir } from './search-fixtures.js';

export const TITLES = ['oat drink', 'oat milk barista', 'granite countertop', 'violin case', 'oat porridge', 'apple juice', 'soy milk', 'almond milk'];

/** `TITLES` indexed into `index` (ids 0…), then the server; `config`: more of its configuration (`upstream` merged). */
export async function titlesBehindVlrerank(es: OwnEngine, index: string, pipeline: string, config: { upstream: Record<string, unknown>; store?: Record<string, unknown> }): Promise<RunningServer> {
  const lines = TITLES.flatMap((t, i) => [JSON.stringify({ index: { _index: index, _id: String(i) } }), JSON.stringify({ title: t })]);
  const r = await fetch(`${es.url}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: `${lines.join('\n')}\n` });
  expect(r.status).toBe(200);
  const srv = await startServer(
    parseConfig({
      server: { host: '127.0.0.1', port: 0, ui: false },
      upstream: { urls: [es.url], connectTimeoutMs: 1_000, ...config.upstream },
      log: { level: 'silent', access: false },
      models: { dir: MODELS, intraOpThreads: 2 },
      media: { roots: [DATA] },
      pipelines: { dir: pipelinesDir({ [`${pipeline}.yaml`]: `name: ${pipeline}\nindex_patterns: [${index}]\nfailure: fail_open\nbudget_ms: 60000\nfields: {text: [title]}\n` }) },
      ...(config.store ? { store: config.store } : {}),
    }),
  );
  await srv.services.reranker.warm.wait();
  return srv;
}
