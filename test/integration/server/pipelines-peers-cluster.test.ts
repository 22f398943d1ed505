/**
 * A pipelines reload told to the other replicas over a Redis Cluster (fix20b): three real
 * redis-server masters; two replicas' reload messengers (server/pipelines-peers.ts), each with the
 * real reloader over its own pipelines folder. Told by A, B re-reads its folder and answers; a
 * Cluster node's PUBLISH counts only its own subscribers, so A says `told: null` and waits its
 * whole `reloadAckMs` — B's answer is in it all the same.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { LivePipelines } from '../../../src/pipelines/index.js';
import { PipelinePeers } from '../../../src/server/pipelines-peers.js';
import { PipelineReloader, readPipelineSet } from '../../../src/server/pipelines-reload.js';
import { startRedisCluster, type RedisCluster } from '../../helpers/redis-topologies.js';
import { until } from '../../helpers/until.js';

const pipeline = (name: string) => `name: ${name}\nindex_patterns: [f20b-${name}]\nfields:\n  text: [title]\n`;
let cluster: RedisCluster;
const replicas: Array<{ dir: string; live: LivePipelines; peers: PipelinePeers }> = [];

function replica(port: number) {
  const dir = mkdtempSync(join(tmpdir(), 'f20b-peers-'));
  writeFileSync(join(dir, 'one.yaml'), pipeline('one'));
  // no warm-up: a reload then loads no model (the reranker is never asked)
  const config = parseConfig({ pipelines: { dir, reloadAckMs: 3_000 }, rerank: { warmup: false }, store: { redis: { url: `redis://127.0.0.1:${port}`, cluster: true, keyPrefix: 'f20b-cluster:' } } });
  const logger = createLogger('silent');
  const live = new LivePipelines(readPipelineSet(config));
  const reloader = new PipelineReloader({ config, logger, metrics: createMetrics(), live, reranker: { warmup: async () => undefined } });
  const r = config.store.redis;
  const peers = new PipelinePeers({ connection: { url: r.url!, commandTimeoutMs: r.commandTimeoutMs, keyPrefix: r.keyPrefix, sentinels: [], cluster: true }, reloader, current: () => live.generation, ackMs: config.pipelines.reloadAckMs, logger });
  return { dir, live, peers };
}

beforeAll(async () => {
  cluster = await startRedisCluster();
  replicas.push(replica(cluster.nodes[0]!.port), replica(cluster.nodes[1]!.port));
  for (const r of replicas) await until(() => r.peers.status().state === 'subscribed', { tries: 1200, everyMs: 25, what: 'subscribed through the cluster' });
}, 120_000);

afterAll(async () => {
  for (const r of replicas) {
    await r.peers.close();
    rmSync(r.dir, { recursive: true, force: true });
  }
  await cluster?.stop();
});

it('told over a Redis Cluster, the other replica reloads its own folder and answers', { timeout: 60_000 }, async () => {
  const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
  writeFileSync(join(b.dir, 'two.yaml'), pipeline('two'));
  const told = await a.peers.tell();
  expect(b.live.current.pipelines.map((p) => p.name)).toEqual(['one', 'two']);
  expect(told).toMatchObject({ fanout: 'redis', channel: 'f20b-cluster:pipelines:reload', told: null, acknowledged: 1 });
  expect(told.fanout === 'redis' && told.replicas[0]).toMatchObject({ outcome: 'reloaded', generation: 2, digest: b.live.generation.digest });
  // A itself was not reloaded by its own message
  expect(a.live.generation.generation).toBe(1);
});
