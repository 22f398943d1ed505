/**
 * `vlrerank_stage_seconds` counts reranks that do not finish (fix20b; held-out probe round 19a left
 * "counts finished reranks only"): a reranked search on Elasticsearch 8.19 whose 50 ms budget runs
 * out while its models still load (no warm-up) answers fail-open `degraded: timeout`, and the
 * histogram has its rerank under `outcome="cut"` — the stage it was in and `total` — with the
 * search's `first_stage` beside it; a rerank API call given 1 ms likewise. A finished one is
 * `outcome="ok"` under the same names. On the old code the histogram had no `outcome` label and
 * nothing of a cut rerank.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { counterSum } from '../../helpers/metrics.js';
import { startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { until } from '../../helpers/until.js';

const INDEX = 'f20b-cut';
let engineUrl: string;
let dir: string;
let p: SearchProxy;

const count = (labels: Record<string, string>) => counterSum(p.url, 'vlrerank_stage_seconds_count', labels);
const search = (budget: number) =>
  fetch(`${p.url}/${INDEX}/_search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: { match: { title: 'apple' } }, ext: { vlrerank: { query: { text: 'apple juice' }, budget_ms: budget } } }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

beforeAll(async () => {
  engineUrl = await useEngine('elasticsearch');
  await fetch(`${engineUrl}/${INDEX}`, { method: 'DELETE' });
  const titles = ['Fresh apple juice', 'Apple pie with a buttery crust', 'Dried apple rings', 'Apple cider vinegar'];
  const bulk = titles.flatMap((title, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), JSON.stringify({ title })]).join('\n') + '\n';
  expect((await fetch(`${engineUrl}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk })).status).toBe(200);
  dir = mkdtempSync(join(tmpdir(), 'f20b-cut-'));
  writeFileSync(join(dir, 'cut.yaml'), `name: cut\nindex_patterns: [${INDEX}]\nfields:\n  text: [title]\nbudget_ms: 300000\nfailure: fail_open\n`);
  // no warm-up: the first rerank loads the text model inside its budget
  p = await startSearchProxy('elasticsearch', { pipelinesDir: dir, rerank: { warmup: false } });
});

afterAll(async () => {
  await p?.close();
  await fetch(`${engineUrl}/${INDEX}`, { method: 'DELETE' }).catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('a search whose rerank ran out of budget is counted under outcome="cut": where it was, total, and its first stage', { timeout: 300_000 }, async () => {
  const r = await search(50);
  expect(r.status).toBe(200);
  expect(r.body.vlrerank).toMatchObject({ degraded: 'timeout' });
  // the rerank ends (aborted) at the latest just after the answer: counted then
  await until(async () => (await count({ stage: 'total', outcome: 'cut' })) === 1, { tries: 600, everyMs: 50, what: 'the cut rerank counted' });
  const where = (await count({ stage: 'queue', outcome: 'cut' })) + (await count({ stage: 'features', outcome: 'cut' })) + (await count({ stage: 'inference', outcome: 'cut' }));
  expect(where).toBeGreaterThanOrEqual(1);
  expect(await count({ stage: 'first_stage', outcome: 'cut' })).toBe(1);
  expect(await count({ outcome: 'ok' })).toBe(0);
  // the same search given time: ok, under the names dashboards already read
  const ok = await search(300_000);
  expect(ok.body.vlrerank).toMatchObject({ degraded: false });
  await until(async () => (await count({ stage: 'total', outcome: 'ok' })) === 1, { tries: 600, everyMs: 50, what: 'the finished rerank counted' });
  for (const stage of ['queue', 'features', 'inference', 'fusion', 'first_stage']) expect(await count({ stage, outcome: 'ok' })).toBe(1);
});

it('a rerank API call given 1 ms is counted under outcome="cut"', { timeout: 120_000 }, async () => {
  const before = await count({ stage: 'total', outcome: 'cut' });
  const r = await fetch(`${p.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-vlrerank-budget-ms': '1' }, body: JSON.stringify({ query: 'apple juice', documents: ['Fresh apple juice', 'Apple pie', 'A photo of a bridge'] }) });
  await r.arrayBuffer();
  expect([429, 504]).toContain(r.status);
  await until(async () => (await count({ stage: 'total', outcome: 'cut' })) === before + 1, { tries: 600, everyMs: 50, what: 'the cut rerank API call counted' });
});
