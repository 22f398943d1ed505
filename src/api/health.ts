/**
 * vlrerank's own health and metrics as plain handlers. `GET /_vlrerank/health` reports this
 * process (version, role, uptime, memory), whether each upstream node answers and which engine, and
 * the reranker's warm-up (idle — models load on first use —, warming, ready, or failed with its
 * reason), its admission queue (in flight, queued, shed by reason) and the feature store's tiers
 * (`feature_store`: each tier's state, entries, bytes, hits, misses, errors). `GET /_vlrerank/metrics` is the Prometheus text of the server's registry.
 *
 * For load balancers and Kubernetes probes:
 *   - `?live`  — liveness: 200 whenever the process answers at all (no upstream probe, no model);
 *     restart the replica when it stops answering;
 *   - `?ready` — readiness: 200 only when this replica may take traffic: not draining (SIGTERM),
 *     models warm (or loading on first use by configuration), and (proxy role) at least one
 *     cluster node reachable (a probe at most 2 s old: balancers ask every second); else 503 with
 *     the reasons.
 * Full status: green when every upstream node answers, yellow when some do, red (HTTP 503) when none
 * (each node's `cluster` is the cluster's own status as it sees it: a node with no elected master
 * answers, and says red);
 * yellow too (with `reasons`) when every remote rerank worker is out (breaker open or last call failed).
 * A worker (server.role: worker) has no cluster: its status follows its warm-up alone.
 */
import { createRequire } from 'node:module';
import type { EngineClient, NodeStatus } from '../engine/client.js';
import type { Metrics } from '../observability/metrics.js';
import type { AdmissionSnapshot } from '../rerank/admission.js';
import type { WarmupStatus } from '../rerank/warmup.js';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface HealthDeps {
  /** Absent for a worker (no cluster behind it). */
  engine?: Pick<EngineClient, 'probe' | 'info'>;
  /** The reranker's warm-up state. */
  warmup?: () => WarmupStatus;
  /** When this server started (performance.now() clock: uptime must not follow wall-clock jumps). */
  startedAt: number;
  /** Probe time-out per node. */
  probeTimeoutMs: number;
  /** True once shutdown began: readiness answers 503 so balancers stop sending. */
  draining?: () => boolean;
  role?: 'proxy' | 'worker';
  /** The rerank admission queue (in flight, queued, shed). */
  admission?: () => AdmissionSnapshot;
  /** The feature store's tiers: state, entries/bytes, hits/misses/errors of each. */
  featureStore?: () => Record<string, unknown>;
  /** The remote scorer workers: breaker state, calls outstanding, failures in a row, last error. */
  remoteWorkers?: () => Array<Record<string, unknown>>;
  /**
   * The pipeline set serving: its generation, when it was loaded, how many pipelines — and the last
   * reload (`last_reload`: an invalid set found by the folder watch or told by another replica is
   * said only here), the folder watch (`watch`) and the replicas told over Redis (`peers`).
   */
  pipelines?: () => { generation: number; loadedAt: string; digest: string; registry: { pipelines: readonly unknown[] }; last_reload?: unknown; watch?: unknown; peers?: unknown };
}

export type HealthMode = 'full' | 'ready' | 'live';

/** Readiness is asked every second by every balancer: the cluster probe behind it is reused this long. */
const READY_PROBE_REUSE_MS = 2_000;
/**
 * The full status reuses a probe this young (and one under way): each call probed every node
 * afresh, so N concurrent status calls — an unauthenticated endpoint — sent N `_cluster/health`
 * to each node (held-out probe round 9: 100 calls, 100 probes).
 */
const FULL_PROBE_REUSE_MS = 1_000;
const lastProbe = new WeakMap<object, { at: number; nodes: Promise<NodeStatus[]> }>();

function probeNodes(deps: HealthDeps, reuse: boolean): Promise<NodeStatus[]> {
  if (!deps.engine) return Promise.resolve([]);
  const prev = lastProbe.get(deps.engine);
  if (prev && performance.now() - prev.at < (reuse ? READY_PROBE_REUSE_MS : FULL_PROBE_REUSE_MS)) return prev.nodes;
  const nodes = deps.engine.probe(deps.probeTimeoutMs);
  lastProbe.set(deps.engine, { at: performance.now(), nodes });
  return nodes;
}

export async function health(deps: HealthDeps, mode: HealthMode = 'full'): Promise<{ status: number; body: Record<string, unknown> }> {
  const uptime_s = Math.round((performance.now() - deps.startedAt) / 1000);
  const draining = deps.draining?.() ?? false;
  if (mode === 'live') return { status: 200, body: { status: 'alive', uptime_s, draining } };
  const warm = deps.warmup?.();
  if (mode === 'ready') {
    const probed = await probeNodes(deps, true);
    const up = probed.filter((n) => n.reachable).length;
    const reasons: string[] = [];
    if (draining) reasons.push('draining: shutting down');
    if (warm?.state === 'warming') reasons.push('models warming up');
    if (warm?.state === 'failed') reasons.push(`model warm-up failed: ${warm.reason ?? warm.code ?? 'unknown'}`);
    if (deps.engine && up === 0) reasons.push(`no cluster node reachable${probed.length ? ` (${unreachableNodes(probed)})` : ''}`);
    return { status: reasons.length ? 503 : 200, body: { ready: reasons.length === 0, ...(reasons.length ? { reasons } : {}) } };
  }
  const nodes = deps.engine ? await probeNodes(deps, false) : [];
  const up = nodes.filter((n) => n.reachable).length;
  let status = !deps.engine ? (warm?.state === 'failed' ? 'yellow' : 'green') : up === nodes.length ? 'green' : up > 0 ? 'yellow' : 'red';
  const workers = deps.remoteWorkers?.();
  // every remote worker out (breaker open, or its last call failed): `backend: remote` pipelines answer
  // fail-open in first-stage order, fail-closed with 503 — yellow (never red: the replica itself still serves)
  const reasons = workers?.length && workers.every((w) => w.state === 'open' || Number(w.failures) > 0) ? [`every remote rerank worker is out of service: ${workers.map((w) => `${String(w.worker)} ${w.state === 'open' ? 'breaker open' : 'last call failed'}`).join('; ')} (remote_workers)`] : [];
  // a model asked for that cannot load (OCR without its files): the replica serves without it — yellow
  for (const [role, why] of Object.entries(warm?.unavailable ?? {})) reasons.push(`${role} is configured but unavailable: ${why} (served without it)`);
  if (reasons.length && status === 'green') status = 'yellow';
  const engine = deps.engine && up > 0 ? await deps.engine.info().catch(() => undefined) : undefined;
  const body: Record<string, unknown> = {
    status,
    name: 'vlrerank',
    version: VERSION,
    role: deps.role ?? 'proxy',
    uptime_s,
    draining,
    memory: { rss_bytes: process.memoryUsage.rss() },
    ...(reasons.length ? { reasons } : {}),
    ...(deps.engine ? { upstream: { nodes, ...(engine ? { engine } : {}) } } : {}),
  };
  if (warm) body.reranker = warm.state === 'idle' ? { ...warm, note: 'no warm-up: models load on first use' } : warm;
  if (deps.admission) body.rerank_admission = deps.admission();
  // a failing feature store tier never changes the status: it is skipped, and shown here
  if (deps.featureStore) body.feature_store = deps.featureStore();
  if (workers) body.remote_workers = workers;
  const set = deps.pipelines?.();
  if (set) {
    const { last_reload, watch, peers } = set;
    body.pipelines = { generation: set.generation, loaded_at: set.loadedAt, digest: set.digest, count: set.registry.pipelines.length, ...(last_reload ? { last_reload } : {}), ...(watch ? { watch } : {}), ...(peers ? { peers } : {}) };
  }
  return { status: status === 'red' ? 503 : 200, body };
}

/**
 * Why each node did not answer, for readiness and the start-up warning: "https://es1:9200:
 * UNABLE_TO_VERIFY_LEAF_SIGNATURE (TLS: …)" — a bare "no cluster node reachable" sent the operator
 * of a replica with a wrong `upstream.tls.ca` looking at the network (held-out probe round 12b).
 * Node labels never carry credentials (the pool strips `user:password@`).
 */
export function unreachableNodes(nodes: ReadonlyArray<Pick<NodeStatus, 'node' | 'error' | 'reachable'>>): string {
  return nodes
    .filter((n) => !n.reachable)
    .map((n) => `${n.node}: ${n.error ?? 'no answer'}${tlsHint(n.error)}`)
    .join('; ');
}

function tlsHint(error: string | undefined): string {
  if (!error || !/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|HOSTNAME_MISMATCH|EPROTO/i.test(error)) return '';
  return ' (TLS: the node\'s certificate is not trusted or not for this host; give its CA as upstream.tls.ca / VLRERANK_UPSTREAM_CA)';
}

export async function metricsText(metrics: Pick<Metrics, 'registry'>): Promise<{ contentType: string; text: string }> {
  return { contentType: metrics.registry.contentType, text: await metrics.registry.metrics() };
}
