/**
 * p50 of a single-document write (`PUT /{index}/_doc/{id}`) through vlrerank, with the index's
 * mapping read at every write (`pipelines.mappingCacheMs: 0`, as before issue 13) and kept (the
 * default), in one run on one engine: two servers, their rounds interleaved. The pipeline adds
 * image vectors at ingest and the documents carry no photo, so no model runs: what is timed is the
 * proxy, the mapping read (or not) and the engine's write. Prints each p50 and the ratio.
 *
 *   tsx scripts/bench/doc-write.ts [--writes 300] [--rounds 4]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineUrl } from '../engines.js';
import { parseConfig } from '../../src/config/load.js';
import { setupIndex } from '../../src/engine/mapping.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { MODELS } from '../../test/helpers/paths.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: number) => (argv.includes(n) ? Number(argv[argv.indexOf(n) + 1]) : d);
const WRITES = opt('--writes', 300);
const ROUNDS = opt('--rounds', 4);
const INDEX = 'bench-doc-write';
const ES = engineUrl('elasticsearch');

const dir = mkdtempSync(join(tmpdir(), 'vlr-bench-doc-'));
writeFileSync(
  join(dir, 'bench-doc.yaml'),
  `name: bench-doc\nindex_patterns: [${INDEX}]\nfields: { text: [title], image: [image] }\nfirst_stage: { text_query: bm25, match_fields: [title] }\nvectors: { ingest: true, image: { field: image_vector, dims: 1280 } }\nfeatures: { store: none }\n`,
);

async function server(mappingCacheMs: number): Promise<RunningServer> {
  const config = parseConfig({
    server: { host: '127.0.0.1', port: 0, ui: false },
    upstream: { urls: [ES] },
    log: { level: 'silent', access: false },
    models: { dir: MODELS },
    pipelines: { dir, mappingCacheMs },
    rerank: { warmup: false },
  });
  return startServer(config);
}

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function round(url: string, tag: string, r: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < WRITES; i++) {
    const t = performance.now();
    const res = await fetch(`${url}/${INDEX}/_doc/${tag}-${r}-${i}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: `product ${i}`, price: i }) });
    await res.arrayBuffer();
    if (res.status !== 201) throw new Error(`write answered ${res.status}`);
    out.push(performance.now() - t);
  }
  return out;
}

const before = await server(0);
const after = await server(1_000);
try {
  await before.services.engine.json('DELETE', `/${INDEX}`);
  await setupIndex(before.services.engine, before.services.pipelines.get('bench-doc')!, INDEX);
  await round(before.url, 'warm-b', 0);
  await round(after.url, 'warm-a', 0);
  const times = { before: [] as number[], after: [] as number[] };
  for (let r = 1; r <= ROUNDS; r++) {
    // interleaved, alternating which goes first: the machine's drift falls on both alike
    const order = r % 2 ? (['before', 'after'] as const) : (['after', 'before'] as const);
    for (const k of order) times[k].push(...(await round(k === 'before' ? before.url : after.url, k, r)));
  }
  const [b, a] = [p50(times.before), p50(times.after)];
  console.log(`_doc write p50 through vlrerank, ${ROUNDS} × ${WRITES} writes each: mapping read at every write ${b.toFixed(2)} ms, mapping kept ${a.toFixed(2)} ms — ratio kept/every ${(a / b).toFixed(2)}`);
} finally {
  await before.services.engine.json('DELETE', `/${INDEX}`);
  await before.close();
  await after.close();
}
