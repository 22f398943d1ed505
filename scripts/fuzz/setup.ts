/**
 * The server the HTTP fuzz runs against: vlrerank in this process in front of a real engine, the
 * real models (no warm-up: a model loads when a request first needs it), `../shared/data` as the
 * media root, and one pipeline over a small index of its own (three documents, one with a photo)
 * that every generated rerank block can name, and a second index set up as `vlrerank index setup`
 * does (image vectors and feature records added at ingest) that the generated writes go to. Never
 * starts or stops an engine: it uses the one at `upstream`, and deletes only its own indices.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { setupIndex } from '../../src/engine/mapping.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import type { FuzzContext } from './http-fuzz.js';

/** The test suite's index names; `npm run fuzz` gives each run names of its own (`--prefix`). */
export const FUZZ_PREFIX = 'hard-http-fuzz';

export interface FuzzTarget {
  srv: RunningServer;
  ctx: FuzzContext;
  close(): Promise<void>;
}

/**
 * `prefix` names both indices (`<prefix>` and `<prefix>-writes`) and their pipelines: two fuzz runs
 * against one engine with different prefixes never touch each other's indices.
 */
export async function startFuzzTarget(upstream: string, shared: string, prefix = FUZZ_PREFIX): Promise<FuzzTarget> {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(prefix)) throw new Error(`the fuzz prefix must be a lowercase index name, got ${JSON.stringify(prefix)}`);
  const FUZZ_INDEX = prefix;
  const FUZZ_WRITE_INDEX = `${prefix}-writes`;
  const data = resolve(shared, 'data');
  const grocery = join(data, 'grocery-store-products');
  const image = join(grocery, 'iconic-images-and-descriptions/Vegetables/Garlic/Garlic_Iconic.jpg');
  const pipelines = mkdtempSync(join(tmpdir(), 'vlr-fuzz-pipelines-'));
  writeFileSync(join(pipelines, 'fuzz.yaml'), `name: ${FUZZ_INDEX}\nindex_patterns: [${FUZZ_INDEX}]\nbudget_ms: 60000\nwindow: {default: 10, max: 20}\nfields: {text: [title], image: [image]}\n`);
  const docs = [{ title: 'oat drink' }, { title: 'garlic bulb', image }, { title: 'a red apple', image: grocery }];
  writeFileSync(join(pipelines, 'fuzz-writes.yaml'), `name: ${FUZZ_WRITE_INDEX}\nindex_patterns: [${FUZZ_WRITE_INDEX}]\nbudget_ms: 60000\nfields: {text: [title], image: [image]}\nfeatures: {store: index}\nvectors: {ingest: true, image: {field: image_vector, dims: 1280}}\n`);
  for (const index of [FUZZ_INDEX, FUZZ_WRITE_INDEX]) await fetch(`${upstream}/${index}`, { method: 'DELETE' });
  const bulk = docs.flatMap((d, i) => [JSON.stringify({ index: { _index: FUZZ_INDEX, _id: String(i) } }), JSON.stringify(d)]).join('\n') + '\n';
  const put = await fetch(`${upstream}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
  if (!put.ok) throw new Error(`cannot index the fuzz documents: ${put.status} ${await put.text()}`);
  const config = parseConfig({
    server: { host: '127.0.0.1', port: 0, ui: false },
    upstream: { urls: [upstream] },
    log: { level: 'silent', access: false },
    models: { dir: resolve(shared, 'models'), intraOpThreads: 1 },
    media: { roots: [data], fetchTimeoutMs: 2_000 },
    pipelines: { dir: pipelines },
    rerank: { warmup: false },
  });
  const srv = await startServer(config);
  const writes = srv.services.pipelines.forIndex(FUZZ_WRITE_INDEX);
  if (!writes) throw new Error(`the fuzz pipeline for ${FUZZ_WRITE_INDEX} was not read`);
  await setupIndex(srv.services.engine, writes, FUZZ_WRITE_INDEX);
  return {
    srv,
    ctx: { index: FUZZ_INDEX, image, directory: grocery, writeIndex: FUZZ_WRITE_INDEX },
    close: async () => {
      await srv.close();
      for (const index of [FUZZ_INDEX, FUZZ_WRITE_INDEX]) await fetch(`${upstream}/${index}`, { method: 'DELETE' });
    },
  };
}
