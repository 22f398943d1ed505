/**
 * vlrerank's own health and metrics as plain handlers: `GET /_vlrerank/health` reports this
 * process (version, uptime, memory), whether each upstream node answers and which engine, and the
 * reranker's warm-up (idle — models load on first use —, warming, ready, or failed with its
 * reason), and the feature store's tiers (`feature_store`: each tier's state, entries, bytes,
 * hits, misses, errors). `GET /_vlrerank/metrics` is the Prometheus text of the server's registry.
 *
 * Status: green when every upstream node answers, yellow when some do, red (HTTP 503) when none.
 */
import { createRequire } from 'node:module';
import type { EngineClient } from '../engine/client.js';
import type { Metrics } from '../observability/metrics.js';
import type { WarmupStatus } from '../rerank/warmup.js';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface HealthDeps {
  engine: Pick<EngineClient, 'probe' | 'info'>;
  /** The reranker's warm-up state. */
  warmup?: () => WarmupStatus;
  /** When this server started (ms epoch). */
  startedAt: number;
  /** Probe time-out per node. */
  probeTimeoutMs: number;
  /** The feature store's tiers: state, entries/bytes, hits/misses/errors of each. */
  featureStore?: () => Record<string, unknown>;
}

export async function health(deps: HealthDeps): Promise<{ status: number; body: Record<string, unknown> }> {
  const nodes = await deps.engine.probe(deps.probeTimeoutMs);
  const up = nodes.filter((n) => n.reachable).length;
  const status = up === nodes.length ? 'green' : up > 0 ? 'yellow' : 'red';
  const engine = up > 0 ? await deps.engine.info().catch(() => undefined) : undefined;
  const body: Record<string, unknown> = {
    status,
    name: 'vlrerank',
    version: VERSION,
    uptime_s: Math.round((Date.now() - deps.startedAt) / 1000),
    memory: { rss_bytes: process.memoryUsage.rss() },
    upstream: { nodes, ...(engine ? { engine } : {}) },
  };
  if (deps.warmup) {
    const s = deps.warmup();
    body.reranker = s.state === 'idle' ? { ...s, note: 'no warm-up: models load on first use' } : s;
  }
  // a failing feature store tier never changes the status: it is skipped, and shown here
  if (deps.featureStore) body.feature_store = deps.featureStore();
  return { status: status === 'red' ? 503 : 200, body };
}

export async function metricsText(metrics: Pick<Metrics, 'registry'>): Promise<{ contentType: string; text: string }> {
  return { contentType: metrics.registry.contentType, text: await metrics.registry.metrics() };
}
