/**
 * `npm run bench:load`: vlrerank under many clients (issue 13 §1, §7). Starts `vlrerank serve` as
 * its own process in front of Elasticsearch (127.0.0.1:19200 unless --engine), with a pipeline for
 * a small index of SciFact titles it creates, then in the same run:
 *  1. baseline: passthrough traffic alone — plain `_search` through the proxy sent open-loop at a
 *     fixed rate (--passthrough-rate, default 50/s), each latency counted from the moment the
 *     request was due (no coordinated omission: a stalled proxy cannot hide the stall by slowing
 *     the probe down);
 *  1b. low load: one client each of reranked `_search` and `/v1/rerank` (the admitted p50 that the
 *     admitted p99 under load is compared with: issue 13 asks for ≤ 2×);
 *  2. load: N clients for D seconds, half on reranked `_search` (ext.vlrerank) and half on
 *     `/v1/rerank` with 20 new texts per request, closed-loop, while the same passthrough probe
 *     runs: its p99 against the baseline's (issue 13 asks for ≤ 1.5×);
 *  3. largest bodies: one client sending ~31 MiB bodies (the most the JSON limit allows) —
 *     `/v1/rerank`, a reranked `_search`, an `_msearch` of reranked and plain sub-searches, a `_bulk`
 *     into an index whose pipeline adds vectors at ingest (each phase in turn; --largest-kinds picks)
 *     — while health (full, then `?live`, in turn) is probed every 25 ms and the passthrough probe runs: health p99 and the
 *     passthrough p99 against the baseline's (issue 13 §2).
 * Prints per kind throughput, p50/p99 of all and of admitted answers, status counts and the 429
 * share (and whether each 429 carried Retry-After), the passthrough p99 under load as a ratio of
 * the baseline's, and the server's RSS, event-loop lag p99 and rerank queue over time (from
 * /_vlrerank/health and /_vlrerank/metrics). Ratios against the same run, never fixed thresholds.
 *
 * The clients, the probe and the health prober run in child processes of their own (load-child.ts):
 * in the bench's own process, a probe sharing the loop with 200 clients measured the generator.
 * BENCH_LOAD_INDEX names the index (default admission-bench-load).
 *
 * Usage: npm run bench:load [-- --clients 200 --seconds 60 --largest-kinds rerank_api,search,msearch,bulk --passthrough-rate 50 --direct-rate 10 --api-probe-rate 10 --latency-factor 2 --connections-per-node 64 --in-process --no-largest --only largest --base DIR --engine http://127.0.0.1:19200 --honour-retry-after --preconnect --clients-nice 19 --cpu-profile DIR --source-kb K --threads --api-images N]
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';
import { inChild } from './load-child.js';
import { bigBody, client, healthProber, INDEX, passthroughProbe, SHARED, Traffic, type Kind, type Sample } from './load-traffic.js';
import { spawnServe } from './serve-process.js';
import { sampleThreads, type ThreadSampler } from './thread-sampler.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const CLIENTS = Number(arg('--clients', '200'));
const SECONDS = Number(arg('--seconds', '60'));
const ENGINE = arg('--engine', 'http://127.0.0.1:19200');
/** Passthrough searches per second sent open-loop in every phase (the traffic rerank load must not slow). */
const PASSTHROUGH_RATE = Number(arg('--passthrough-rate', '50'));
/**
 * The same plain searches per second sent to the engine directly, beside the proxy's probe (0: none):
 * when they slow down as much, the engine (shared by the first stages of reranked searches) is the
 * slow part, not vlrerank.
 */
const DIRECT_RATE = Number(arg('--direct-rate', '10'));
/**
 * `/v1/rerank` calls per second sent open-loop during the load phase by a probe at nice 0 (0: none):
 * the load clients run at --clients-nice, so the 429 latency they see includes their own wait for
 * the CPU; this probe's is what a client with a CPU of its own sees.
 */
const API_PROBE_RATE = Number(arg('--api-probe-rate', '10'));
/** --cpu-profile DIR: the server writes a V8 CPU profile there when it stops (where the time goes). */
const PROFILE = arg('--cpu-profile', '');
/**
 * --honour-retry-after: a refused client waits the Retry-After it was given (as a well-behaved
 * client does) instead of asking again at once; the default is the worst case, clients that never wait.
 */
const HONOUR_RETRY_AFTER = process.argv.includes('--honour-retry-after');
/** --preconnect: the load clients open their connections before the load phase starts (child processes only). */
const PRECONNECT = process.argv.includes('--preconnect');
/** --latency-factor F: the server's rerank.admission.latencyFactor (default: the configuration's default). */
const LATENCY_FACTOR = arg('--latency-factor', '');
/** --connections-per-node N: the server's upstream.connectionsPerNode (default: the configuration's default). */
const CONNECTIONS = arg('--connections-per-node', '');
/**
 * --in-process: the load clients, the passthrough probe and the health prober share this process's
 * event loop (how the figures before 2026-12-03 were taken); by default each runs in a child
 * process of its own (load-child.ts), so the probe measures the proxy, not a saturated generator.
 */
const IN_PROCESS = process.argv.includes('--in-process');
/** --no-largest: skip the largest-bodies phase (e.g. so a --cpu-profile shows the load phase alone). */
const LARGEST = !process.argv.includes('--no-largest');
/**
 * --only largest: the baseline and the largest-bodies phase only (issue 13 §2), skipping the
 * low-load and 200-client phases — to compare what big bodies cost the event loop in minutes.
 */
const ONLY = arg('--only', '');
/** --largest-kinds a,b: which largest-body phases run (rerank_api, search, msearch, bulk; default all). */
const LARGEST_KINDS = arg('--largest-kinds', 'rerank_api,search,msearch,bulk').split(',');
/** The index the largest `_bulk` writes into: its pipeline adds vectors at ingest, so vlrerank parses each document. */
const INGEST_INDEX = `${INDEX}-ingest`;
/**
 * --clients-nice N (default 19): the load clients' process runs at this nice value. The 200 clients
 * stand for machines of their own; on this machine their process took one of the 2 cores (1,200
 * requests/s) from the server and the engine it measures, so the server's share, not vlrerank,
 * decided the passthrough figure. The probes (passthrough, direct, health) stay at nice 0: their
 * latency is the figure. --clients-nice 0 for the way figures before 2026-12-03 08:00 UTC were taken.
 */
const CLIENTS_NICE = Number(arg('--clients-nice', '19'));
/** --base DIR: run everything first against DIR's server (another checkout: the code before a change), then this one's. */
const BASE = arg('--base', '');
/**
 * --source-kb K: each document of the index also keeps K KiB of text in `_source` that nothing
 * reads (`pad`, not indexed), so a reranked search's first-stage answer (its window of 20 hits) is
 * ~20×K KiB: large engine answers under load (task ld25: their parse on the main thread). The
 * plain probe's answers (10 hits) grow alike, before and after.
 */
const SOURCE_KB = Number(arg('--source-kb', '0'));
/**
 * --threads: during the load phase, sample every thread of the server (thread-sampler.ts): CPU per
 * thread name and its nice, the main thread's wait for a CPU, the load average (who holds the CPU).
 */
const THREADS = process.argv.includes('--threads');
/** --api-images N: N of each `/v1/rerank` call's 20 documents are photos (new bytes each time; load-traffic.ts), so rerank load includes image work. */
if (process.argv.includes('--api-images')) process.env.BENCH_LOAD_API_IMAGES = arg('--api-images', '0');

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');

async function engineSetup(): Promise<void> {
  const docs = readFileSync(join(SHARED, 'data/scifact-beir/corpus.jsonl'), 'utf8').split('\n', 300).filter(Boolean).map((l) => JSON.parse(l) as { title: string; text: string });
  await fetch(`${ENGINE}/${INDEX}`, { method: 'DELETE' });
  const pad = SOURCE_KB > 0 ? { pad: scifactText(SOURCE_KB * 1024) } : {};
  if (SOURCE_KB > 0) await fetch(`${ENGINE}/${INDEX}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mappings: { properties: { pad: { type: 'text', index: false } } } }) });
  const lines = docs.flatMap((d, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), JSON.stringify({ title: d.title, text: d.text.slice(0, 600), ...pad })]).join('\n') + '\n';
  const r = await fetch(`${ENGINE}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines });
  if (r.status !== 200) throw new Error(`bulk into ${ENGINE} answered ${r.status}`);
  // the largest _bulk's index: documents kept in _source only (the engine's indexing is not what is measured)
  await fetch(`${ENGINE}/${INGEST_INDEX}`, { method: 'DELETE' });
  await fetch(`${ENGINE}/${INGEST_INDEX}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mappings: { dynamic: false } }) });
}

async function startServer(repo?: string): Promise<{ url: string; pid: number | undefined; stop(): void }> {
  const pipelines = mkdtempSync(join(tmpdir(), 'vlr-bench-load-'));
  writeFileSync(join(pipelines, 'bench.yaml'), `name: bench-load\nindex_patterns: [${INDEX}]\nfailure: fail_open\nbudget_ms: 5000\nwindow: {default: 20, max: 100}\nfields: {text: [title, text]}\n`);
  writeFileSync(join(pipelines, 'bench-ingest.yaml'), `name: bench-load-ingest\nindex_patterns: [${INGEST_INDEX}]\nfields: {text: [title, text], image: [image]}\nvectors:\n  ingest: true\n  image: { field: image_vector, dims: 1280 }\n  bridge: { field: image_text_vector, dims: 384 }\n`);
  const env: Record<string, string> = { VLRERANK_PIPELINES_DIR: pipelines };
  const config: string[] = [];
  if (LATENCY_FACTOR) config.push(`rerank:\n  admission:\n    latencyFactor: ${Number(LATENCY_FACTOR)}`);
  if (CONNECTIONS) config.push(`upstream:\n  connectionsPerNode: ${Number(CONNECTIONS)}`);
  if (config.length) {
    const file = join(mkdtempSync(join(tmpdir(), 'vlr-bench-load-config-')), 'config.yaml');
    writeFileSync(file, config.join('\n') + '\n');
    env.VLRERANK_CONFIG = file;
  }
  const { url, child } = await spawnServe({ upstream: ENGINE, modelsDir: join(SHARED, 'models'), env, repo, nodeArgs: PROFILE ? ['--cpu-prof', '--cpu-prof-dir', PROFILE] : [] });
  return { url, pid: child.pid, stop: () => child.kill('SIGTERM') };
}

async function sampler(url: string, until: number, rows: string[]): Promise<void> {
  const t0 = performance.now();
  while (performance.now() < until) {
    try {
      const h = (await (await fetch(`${url}/_vlrerank/health`)).json()) as { memory: { rss_bytes: number }; rerank_admission?: { in_flight: number; queued: number; shed: Record<string, number> } };
      const m = await (await fetch(`${url}/_vlrerank/metrics`)).text();
      const lag = Number(/^(?:vlrerank_)?nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(m)?.[1] ?? NaN) * 1000;
      const pooled = (what: string) => [...m.matchAll(new RegExp(`^vlrerank_upstream_pool\\{[^}]*what="${what}"[^}]*\\} (\\S+)$`, 'gm'))].reduce((x, y) => x + Number(y[1]), 0);
      const a = h.rerank_admission;
      const shed = a ? Object.values(a.shed).reduce((x, y) => x + y, 0) : 0;
      rows.push(`${String(Math.round((performance.now() - t0) / 1000)).padStart(5)} s  rss ${String(Math.round(h.memory.rss_bytes / 1048576)).padStart(5)} MB  loop-lag p99 ${f1(lag).padStart(6)} ms  rerank in flight ${a?.in_flight ?? '-'} queued ${a?.queued ?? '-'} shed ${shed}  upstream running ${pooled('running')} queued ${pooled('queued')} connected ${pooled('connected')}`);
    } catch (e) {
      rows.push(`health did not answer: ${(e as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/**
 * Histogram buckets of the server's `vlrerank_request_duration_seconds` per "route status", and of
 * `vlrerank_upstream_latency_seconds` (every node) as "upstream": cumulative counts by upper bound (s).
 */
type Durations = Map<string, Map<number, number>>;

async function durations(url: string): Promise<Durations> {
  const text = await (await fetch(`${url}/_vlrerank/metrics`)).text();
  const out: Durations = new Map();
  for (const m of text.matchAll(/^vlrerank_(request_duration|upstream_latency)_seconds_bucket\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    const key = m[1] === 'upstream_latency' ? 'upstream' : `${labels.route} ${labels.status}`;
    if (!out.has(key)) out.set(key, new Map());
    const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
    out.get(key)!.set(le, (out.get(key)!.get(le) ?? 0) + Number(m[3]));
  }
  return out;
}

/** health's `rerank_admission.shed` counts per reason, and its `enqueued` (requests that waited in the queue) where the server has it. */
async function shedCounts(url: string): Promise<Record<string, number>> {
  const h = (await (await fetch(`${url}/_vlrerank/health`)).json()) as { rerank_admission?: { shed: Record<string, number>; enqueued?: number } };
  const a = h.rerank_admission;
  return { ...a?.shed, ...(a?.enqueued !== undefined ? { enqueued: a.enqueued } : {}) };
}

/** Full health (its time includes each engine node's probe) and liveness (`?live`, the event loop alone), p50/p99/max. */
function healthLine(samples: Sample[]): string {
  const line = (kind: Kind): string => {
    const ms = samples.filter((x) => x.kind === kind).map((x) => x.ms);
    return `p50/p99/max ${f1(pct(ms, 50))}/${f1(pct(ms, 99))}/${f1(Math.max(...ms))} ms (${ms.length} probes)`;
  };
  return `full ${line('health')}, ?live ${line('live')}`;
}

/**
 * The server's own p50/p99 of one route class and status between two scrapes: the upper bound of
 * the bucket holding the quantile (from headers parsed to the answer's end, so without the time a
 * client's or the kernel's queues add).
 */
function serverSide(before: Durations, after: Durations, key: string): string {
  const a = after.get(key);
  if (!a) return '-';
  const b = before.get(key) ?? new Map<number, number>();
  const les = [...a.keys()].sort((x, y) => x - y);
  const n = (a.get(Infinity) ?? 0) - (b.get(Infinity) ?? 0);
  if (n <= 0) return '-';
  const q = (p: number) => {
    const le = les.find((l) => (a.get(l) ?? 0) - (b.get(l) ?? 0) >= p * n)!;
    return le === Infinity ? '> 30 s' : `≤ ${le * 1000} ms`;
  };
  return `p50 ${q(0.5)}, p99 ${q(0.99)} (${n} answers)`;
}

function report(label: string, samples: Sample[], seconds: number): Map<Kind, number> {
  const p99s = new Map<Kind, number>();
  console.log(`\n${label}`);
  console.log('  kind         req/s   p50 ms   p99 ms  admitted p50/p99 ms  429 share  statuses');
  for (const kind of ['plain', 'direct', 'reranked', 'rerank_api', 'api_probe'] as const) {
    const s = samples.filter((x) => x.kind === kind);
    if (!s.length) continue;
    const ok = s.filter((x) => x.status === 200).map((x) => x.ms);
    const refused = s.filter((x) => x.status === 429);
    const statuses = [...s.reduce((m, x) => m.set(x.status, (m.get(x.status) ?? 0) + 1), new Map<number, number>())].map(([k, v]) => `${k}:${v}`).join(' ');
    const all = s.map((x) => x.ms);
    p99s.set(kind, pct(all, 99));
    const withRetry = refused.length ? ` (Retry-After ${refused.filter((x) => x.retryAfter).length}/${refused.length}, 429 p99 ${f1(pct(refused.map((x) => x.ms), 99))} ms)` : '';
    const deg = [...s.filter((x) => x.degraded).reduce((m, x) => m.set(x.degraded!, (m.get(x.degraded!) ?? 0) + 1), new Map<string, number>())].map(([k, v]) => `${k}:${v}`).join(' ');
    console.log(`  ${kind.padEnd(11)} ${f1(s.length / seconds).padStart(6)} ${f1(pct(all, 50)).padStart(8)} ${f1(pct(all, 99)).padStart(8)}  ${`${f1(pct(ok, 50))}/${f1(pct(ok, 99))}`.padStart(19)}  ${`${((100 * refused.length) / s.length).toFixed(1)}%`.padStart(9)}  ${statuses}${withRetry}${deg ? ` degraded ${deg}` : ''}`);
  }
  return p99s;
}

type Part = { role: 'probe' } | { role: 'direct' } | { role: 'api_probe' } | { role: 'health' } | { role: 'clients'; reranked: number; rerankApi: number };
let seed = 0;

/**
 * Run traffic parts together for `seconds`, each in a child process of its own (started, then let
 * go at once when all are loaded) or, with --in-process, here; `alsoHere` runs in this process
 * meanwhile (the server sampler, the largest-body client). Returns every part's samples.
 */
async function together(url: string, seconds: number, parts: Part[], alsoHere: (until: number) => Promise<unknown>[] = () => []): Promise<Sample[]> {
  if (IN_PROCESS) {
    const out: Sample[] = [];
    const until = performance.now() + seconds * 1000;
    const pools: Pool[] = [];
    const runs = parts.map((p) => {
      if (p.role === 'probe') return passthroughProbe(new Traffic(++seed), url, PASSTHROUGH_RATE, until, out);
      if (p.role === 'direct') return passthroughProbe(new Traffic(++seed), ENGINE, DIRECT_RATE, until, out, 'direct');
      if (p.role === 'api_probe') return passthroughProbe(new Traffic(++seed), url, API_PROBE_RATE, until, out, 'api_probe');
      if (p.role === 'health') return healthProber(url, until, out);
      const t = new Traffic(++seed);
      const pool = new Pool(url, { connections: p.reranked + p.rerankApi + 2, pipelining: 1 });
      pools.push(pool);
      return Promise.all([
        ...Array.from({ length: p.reranked }, () => client(t, pool, 'reranked', until, out, HONOUR_RETRY_AFTER)),
        ...Array.from({ length: p.rerankApi }, () => client(t, pool, 'rerank_api', until, out, HONOUR_RETRY_AFTER)),
      ]);
    });
    await Promise.all([...runs, ...alsoHere(until)]);
    await Promise.all(pools.map((p) => p.close()));
    return out;
  }
  const children = parts.map((p) =>
    inChild(
      p.role === 'probe'
        ? { role: 'probe', url, seconds, rate: PASSTHROUGH_RATE, seed: ++seed }
        : p.role === 'direct'
          ? { role: 'probe', url: ENGINE, seconds, rate: DIRECT_RATE, seed: ++seed, kind: 'direct' }
          : p.role === 'api_probe'
          ? { role: 'probe', url, seconds, rate: API_PROBE_RATE, seed: ++seed, kind: 'api_probe' }
          : p.role === 'health'
          ? { role: 'health', url, seconds }
          : { role: 'clients', url, seconds, reranked: p.reranked, rerankApi: p.rerankApi, honourRetryAfter: HONOUR_RETRY_AFTER, seed: ++seed, preconnect: PRECONNECT },
      p.role === 'clients' ? CLIENTS_NICE : 0,
    ),
  );
  await Promise.all(children.map((c) => c.ready));
  const until = performance.now() + seconds * 1000;
  const [got] = await Promise.all([Promise.all(children.map((c) => c.go())), ...alsoHere(until)]);
  return got.flat();
}

/**
 * A reranked `_search` body of the largest size: a short first-stage query and a rerank query text of
 * ~31 MiB (`ext.vlrerank.query`), so everything proportional to the body runs on the search path.
 */
function bigSearchBody(): string {
  const unit = readFileSync(join(SHARED, 'data/scifact-beir/corpus.jsonl'), 'utf8').split('\n', 20).filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text).join(' ');
  const text = (unit + ' ').repeat(Math.ceil((31 * 1048576) / (unit.length + 1))).slice(0, 31 * 1048576);
  return JSON.stringify({ size: 10, query: { match: { text: 'vitamin' } }, ext: { vlrerank: { query: text } } });
}

/** Text of about `bytes` characters from SciFact abstracts. */
function scifactText(bytes: number): string {
  const unit = readFileSync(join(SHARED, 'data/scifact-beir/corpus.jsonl'), 'utf8').split('\n', 20).filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text).join(' ');
  return (unit + ' ').repeat(Math.ceil(bytes / (unit.length + 1))).slice(0, bytes);
}

/** An `_msearch` of the largest size: 12 reranked sub-searches, each with a 2.6 MiB rerank query text, between 12 plain ones. */
function bigMsearchBody(): string {
  const text = scifactText(2.6 * 1048576);
  const head = JSON.stringify({ index: INDEX });
  const lines = Array.from({ length: 12 }, (_, i) => [head, JSON.stringify({ size: 10, query: { match: { text: 'vitamin' } }, ext: { vlrerank: { query: text } } }), head, JSON.stringify({ size: 5, query: { match: { title: `cells ${i}` } } })]).flat();
  return lines.join('\n') + '\n';
}

/** A `_bulk` of the largest size into the ingest index: 12 documents of 2.6 MiB of text (no photo: parsed, no vectors to compute). */
function bigBulkBody(): string {
  const text = scifactText(2.6 * 1048576);
  return Array.from({ length: 12 }, (_, i) => [JSON.stringify({ index: { _index: INGEST_INDEX, _id: String(i) } }), JSON.stringify({ title: `document ${i}`, text })]).flat().join('\n') + '\n';
}

async function main(repo?: string): Promise<void> {
  console.log(`\n=== server from ${repo ?? 'this checkout'} ===`);
  await engineSetup();
  const srv = await startServer(repo);
  const pool = new Pool(srv.url, { connections: 8, pipelining: 1 });
  console.log(`server ${srv.url} (pid ${srv.pid}); traffic: ${IN_PROCESS ? 'clients, probe and health prober in this process (--in-process)' : `clients, probe and health prober each in a child process of its own (clients at nice ${CLIENTS_NICE})`}; load average before: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  try {
    // warm the models (first rerank loads them) outside the measured time
    const warm = new Traffic(++seed);
    for (const k of ['reranked', 'rerank_api'] as const) await client(warm, pool, k, performance.now() + 1, []);
    const baseSeconds = Math.max(5, Math.round(SECONDS / 3));
    const direct: Part[] = DIRECT_RATE > 0 ? [{ role: 'direct' }] : [];
    const base = await together(srv.url, baseSeconds, [{ role: 'probe' }, { role: 'health' }, ...direct]);
    const baseP99s = report(`baseline: plain _search through the proxy at ${PASSTHROUGH_RATE}/s (open loop)${DIRECT_RATE > 0 ? ` and to the engine directly at ${DIRECT_RATE}/s` : ''}, nothing else, ${baseSeconds} s`, base, baseSeconds);
    const baseP99 = baseP99s.get('plain')!;
    console.log(`  health alone ${healthLine(base)}`);
    if (ONLY !== 'largest') {

      // low load: one client each of reranked _search and /v1/rerank, for the admitted p50 the load is held to
      const low = await together(srv.url, baseSeconds, [{ role: 'clients', reranked: 1, rerankApi: 1 }]);
      report(`low load: 1 client of reranked _search and 1 of /v1/rerank, ${baseSeconds} s`, low, baseSeconds);
      const lowP50 = (kind: Kind) => pct(low.filter((x) => x.kind === kind && x.status === 200 && !x.degraded).map((x) => x.ms), 50);

      const rows: string[] = [];
      const half = Math.ceil(CLIENTS / 2);
      const before = await durations(srv.url);
      const shedBefore = await shedCounts(srv.url);
      let threads: ThreadSampler | undefined;
      // sampled from the moment the load is let go until it ends (not while the clients' processes load)
      const sampleLoad = async (until: number) => {
        if (!THREADS || !srv.pid) return;
        threads = sampleThreads(srv.pid);
        await new Promise((r) => setTimeout(r, until - performance.now()));
        threads.stop();
      };
      const load = await together(srv.url, SECONDS, [{ role: 'clients', reranked: half, rerankApi: CLIENTS - half }, { role: 'probe' }, { role: 'health' }, ...direct, ...(API_PROBE_RATE > 0 ? [{ role: 'api_probe' } as Part] : [])], (until) => [sampler(srv.url, until, rows), sampleLoad(until)]);
      const loadP99 = report(`load: ${CLIENTS} clients (half reranked _search, half /v1/rerank with 20 new texts) and plain _search at ${PASSTHROUGH_RATE}/s, ${SECONDS} s`, load, SECONDS);
      const after = await durations(srv.url);
      const shedAfter = await shedCounts(srv.url);
      console.log(`\n  shed by reason (health's rerank_admission.shed, load phase): ${Object.entries(shedAfter).map(([k, v]) => `${k} ${v - (shedBefore[k] ?? 0)}`).join(', ')}; waited in the queue ${(shedAfter.enqueued ?? NaN) - (shedBefore.enqueued ?? NaN)} requests`);
      for (const kind of ['rerank_api', 'api_probe'] as const) {
        const byReason = new Map<string, number[]>();
        for (const x of load) if (x.kind === kind && x.status === 429) byReason.set(x.shed ?? '?', [...(byReason.get(x.shed ?? '?') ?? []), x.ms]);
        console.log(`  ${kind} 429s by shed_reason, at the client (count, p50/p99 ms): ${[...byReason].map(([k, ms]) => `${k} ${ms.length} ${f1(pct(ms, 50))}/${f1(pct(ms, 99))}`).join('; ') || '-'}`);
      }
      console.log(`\n  server side (vlrerank_request_duration_seconds, bucket bounds): /v1/rerank 429 ${serverSide(before, after, 'rerank 429')}; /v1/rerank 200 ${serverSide(before, after, 'rerank 200')}; _search 200 (plain and reranked) ${serverSide(before, after, 'search 200')}; upstream (to the engine's answer headers, undici's queue included) ${serverSide(before, after, 'upstream')}`);
      console.log(`  passthrough _search p99 under rerank load / without it: ${(loadP99.get('plain')! / baseP99).toFixed(2)}× (${f1(loadP99.get('plain')!)} vs ${f1(baseP99)} ms)`);
      if (DIRECT_RATE > 0) console.log(`  the same search sent to the engine directly, p99 under load / without it: ${(loadP99.get('direct')! / baseP99s.get('direct')!).toFixed(2)}× (${f1(loadP99.get('direct')!)} vs ${f1(baseP99s.get('direct')!)} ms)`);
      for (const kind of ['reranked', 'rerank_api'] as const) {
        const admitted = load.filter((x) => x.kind === kind && x.status === 200 && !x.degraded).map((x) => x.ms);
        const refused = load.filter((x) => x.kind === kind && (x.status === 429 || x.degraded)).map((x) => x.ms);
        console.log(`  ${kind}: admitted p99 under load / p50 at low load: ${admitted.length ? (pct(admitted, 99) / lowP50(kind)).toFixed(2) : '-'}× (${f1(pct(admitted, 99))} vs ${f1(lowP50(kind))} ms, ${admitted.length} admitted); refused or degraded p99 ${f1(pct(refused, 99))} ms`);
    }
    console.log(`  connection errors (status 0): ${load.filter((x) => x.status === 0).length}${HONOUR_RETRY_AFTER ? ' (clients honoured Retry-After)' : " (clients did not wait for Retry-After: the worst case; --honour-retry-after for well-behaved ones)"}`);
    console.log(`  health under load ${healthLine(load)}`);
    const lags = rows.map((r) => Number(/loop-lag p99 +([\d.]+)/.exec(r)?.[1])).filter(Number.isFinite);
    console.log(`  the server's event-loop lag p99 (monitorEventLoopDelay, one per sample): median ${f1(pct(lags, 50))} ms, max ${f1(Math.max(...lags))} ms over ${lags.length} samples`);
    if (threads) console.log(`\n  who holds the CPU (--threads), load phase:\n  ${threads.summary().join('\n  ')}`);
    console.log('\n  server over time:');
    for (const r of rows) console.log(`  ${r}`);
    }

    if (!LARGEST) return void console.log(`\nload average after: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
    // 3. one client sending the largest bodies allowed (~31 MiB, under server.maxJsonBodyBytes
    //    32 MiB) while health and liveness are probed in turn every 25 ms and plain searches go on: first /v1/rerank
    //    bodies (12 texts of 2.6 MiB), then reranked _search bodies (a 31 MiB rerank query text)
    const phases = [
      ['rerank_api', 'rerank_api', '/v1/rerank', () => bigBody()],
      ['search', 'reranked', `/${INDEX}/_search`, () => bigSearchBody()],
      ['msearch', 'reranked', '/_msearch', () => bigMsearchBody()],
      ['bulk', 'plain', '/_bulk', () => bigBulkBody()],
    ] as const;
    for (const [name, kind, path, make] of phases) {
      if (!LARGEST_KINDS.includes(name)) continue;
      const body = Buffer.from(make());
      const type = name === 'msearch' || name === 'bulk' ? 'application/x-ndjson' : 'application/json';
      const bigSamples: Sample[] = [];
      const bigClient = async (until: number) => {
        while (performance.now() < until) {
          const t0 = performance.now();
          const r = await pool.request({ method: 'POST', path, headers: { 'content-type': type }, body, headersTimeout: 300_000, bodyTimeout: 300_000 });
          await r.body.text();
          const degraded = r.headers['x-vlrerank-degraded'];
          bigSamples.push({ kind, status: r.statusCode, ms: performance.now() - t0, retryAfter: false, ...(degraded ? { degraded: String(degraded) } : {}) });
        }
      };
      const bigRun = await together(srv.url, baseSeconds, [{ role: 'health' }, { role: 'probe' }, ...direct], (until) => [bigClient(until)]);
      const plainP99 = pct(bigRun.filter((x) => x.kind === 'plain').map((x) => x.ms), 99);
      const answered = bigSamples.map((x) => `${x.status}${x.degraded ? ` (${x.degraded})` : ''} in ${f1(x.ms / 1000)} s`).join(', ');
      console.log(`\nlargest bodies: 1 client sending ${(body.length / 1048576).toFixed(1)} MiB ${path} bodies (${bigSamples.length} answered: ${answered}), plain _search at ${PASSTHROUGH_RATE}/s, health and ?live in turn every 25 ms, ${baseSeconds} s`);
      const directP99 = pct(bigRun.filter((x) => x.kind === 'direct').map((x) => x.ms), 99);
      // the engine shares the machine: when its own probe slows as much, the engine (busy with these bodies) is the slow part
      const directNote = DIRECT_RATE > 0 ? `; the engine directly, p99 / its baseline: ${(directP99 / baseP99s.get('direct')!).toFixed(2)}× (${f1(directP99)} vs ${f1(baseP99s.get('direct')!)} ms)` : '';
      console.log(`  health ${healthLine(bigRun)}; plain _search p99 / baseline p99: ${(plainP99 / baseP99).toFixed(2)}× (${f1(plainP99)} vs ${f1(baseP99)} ms)${directNote}`);
    }
    console.log(`\nload average after: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  } finally {
    await pool.close();
    srv.stop();
    await fetch(`${ENGINE}/${INDEX}`, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${ENGINE}/${INGEST_INDEX}`, { method: 'DELETE' }).catch(() => undefined);
  }
}

if (BASE) await main(resolve(BASE));
await main();
