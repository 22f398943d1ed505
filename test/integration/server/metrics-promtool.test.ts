/**
 * `/_vlrerank/metrics` as a team's Prometheus reads it (held-out probe round 15d): Debian's
 * `promtool check metrics` finds nothing to say (it refused prom-client's `…_total` gauges), and
 * the counters an alert reads from the first event have their series at 0 from the start — a
 * series appears at its first increment and `rate()`/`increase()` need two samples, so the first
 * burst of 429s, the first Redis error or the first degraded search moved no alert. Then a real
 * Redis paused (`CLIENT PAUSE`: commands time out) under a rerank moves `vlrerank_feature_store_errors_total{tier="redis"}` from 0.
 * Needs promtool (Debian package prometheus; skips saying so) and redis-server.
 */
import { afterAll, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { counterSum } from '../../helpers/metrics.js';
import { startColdServer } from '../../helpers/rerank-server.js';
import { startRedis, tempStoreDir } from '../../helpers/store.js';
import { SHED_REASONS } from '../../../src/rerank/admission-limits.js';

const promtool = spawnSync('sh', ['-c', 'command -v promtool']).status === 0;
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const scrape = async (url: string) => (await fetch(`${url}/_vlrerank/metrics`)).text();
const sample = (text: string, series: string) => new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1];

it.skipIf(!promtool)('promtool check metrics is clean; alert counters start at 0 and move (needs promtool: apt-get install prometheus)', { timeout: 180_000 }, async () => {
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  const dir = tempStoreDir('p15d-metrics');
  cleanups.push(dir.cleanup);
  const srv = await startColdServer(cleanups, { 'store.disk.path': dir.path, 'store.redis.url': redis.url });

  const fresh = await scrape(srv.url);
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: fresh, encoding: 'utf8' });
  expect(`${lint.stdout}${lint.stderr}`).toBe('');
  expect(lint.status).toBe(0);

  for (const reason of SHED_REASONS) expect(sample(fresh, `vlrerank_rerank_shed_total{reason="${reason}"}`), reason).toBe('0');
  for (const tier of ['disk', 'redis']) expect(sample(fresh, `vlrerank_feature_store_errors_total{tier="${tier}"}`), tier).toBe('0');
  for (const tier of ['l1', 'disk', 'redis']) for (const outcome of ['hit', 'miss', 'error']) expect(sample(fresh, `vlrerank_feature_lookups_total{tier="${tier}",outcome="${outcome}"}`), `${tier} ${outcome}`).toBe('0');
  for (const degraded of ['false', 'overloaded', 'timeout', 'failed']) expect(sample(fresh, `vlrerank_reranked_searches_total{degraded="${degraded}"}`), degraded).toBe('0');

  // the event: Redis not answering (CLIENT PAUSE: its commands time out) under a rerank of documents not seen before — its counter moves from its 0
  await redis.client().call('CLIENT', 'PAUSE', '4000', 'ALL');
  const res = await fetch(`${srv.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', query: 'white matter of newborns', documents: ['diffusion MRI of the newborn brain', 'a recipe for bread'] }) });
  expect(res.status).toBe(200);
  for (let i = 0; i < 100 && (await counterSum(srv.url, 'vlrerank_feature_store_errors_total', { tier: 'redis' })) === 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(await counterSum(srv.url, 'vlrerank_feature_store_errors_total', { tier: 'redis' })).toBeGreaterThan(0);
  const after = spawnSync('promtool', ['check', 'metrics'], { input: await scrape(srv.url), encoding: 'utf8' });
  expect(`${after.stdout}${after.stderr}`).toBe('');
});
