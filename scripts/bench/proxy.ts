/**
 * Proxy overhead benchmark (`npm run bench:proxy`): the same search and _bulk workloads sent
 * directly to Elasticsearch and through vlrerank, in one run, on one machine. Prints the
 * throughput ratio (target ≥ 0.90) and the latency vlrerank adds at p50/p99 (target ≤ 0.5 ms
 * at p50 for searches).
 *
 * - throughput: autocannon, N connections, fixed duration, direct and proxied alternating for
 *   BENCH_ROUNDS rounds (median ratio: the machine may be busy with other work);
 * - latency: one connection, sequential requests (autocannon's histogram has 1 ms resolution,
 *   too coarse for sub-millisecond overhead), direct and proxied interleaved in blocks.
 * - the floor: for searches and gets, a bare Node proxy (scripts/bench/bare-proxy.ts) in the same
 *   rounds, so the report separates what any Node hop costs on this machine from vlrerank's own.
 * The proxy runs in its own process as users run it (the compiled `dist/`, built by the npm script),
 * with its default configuration: access log on, its stdout to /dev/null (a pipe drained by this
 * process would charge the proxy's log to the load generator's CPU).
 *
 * BENCH_INDEX=<name>: the index made and deleted for the run (default vlr-bench-proxy; with `<name>-bulk`).
 * BENCH_ONLY=search,get runs only the workloads whose names start with those words.
 * BENCH_SETTLE_S=<s>: wait that long after starting the proxies before the first round (perf15:
 * V8's memory-reducing GC ~30 s after start otherwise lands in a search round).
 * BENCH_BASE_DIST=<dir>: a second vlrerank, built from another checkout's `dist/` (e.g. main, in a
 * `git worktree`), measured in the same rounds for searches and gets: old ÷ new CPU per request
 * from one run, on a machine whose load changes under both alike.
 *
 * Two placements, because on a small machine they answer different questions:
 *   - shared cores: engine, proxy and load generator on every core. Throughput is then bounded by
 *     CPU: every µs the proxy spends is taken from the engine. The report prints that ceiling,
 *     (engine + load generator CPU per request) / (the same + the proxy's), from the measured CPU
 *     of each process;
 *   - own cores (with `taskset`, ≥ 2 cores, and an engine whose pid we know): the engine pinned to
 *     core 0, the proxy and the load generator to the others — the proxy as a sidecar with CPU of
 *     its own, which is how it is deployed. The question is then whether the proxy limits what
 *     the engine can serve. BENCH_PLACEMENTS=shared skips it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { REPO_ROOT, enginePid, engineUrl, startEngine, stopEngine } from '../engines.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const LATENCY_N = Number(process.env.BENCH_LATENCY_N ?? 2000);
/** BENCH_INDEX: the index made (and deleted) for the run — a helper's own prefix when several bench on one cluster. */
const INDEX = process.env.BENCH_INDEX ?? 'vlr-bench-proxy';
/**
 * The run's two indices by name: Elasticsearch 8+ refuses a wildcard DELETE (`action.destructive_requires_name`),
 * so `/${INDEX}*` deleted nothing — the index stayed and each run's set-up added another 5,000 documents to it.
 */
const DELETE_PATH = `/${INDEX},${INDEX}-bulk?ignore_unavailable=true`;
const CORES = availableParallelism();
const PLACEMENTS = (process.env.BENCH_PLACEMENTS ?? 'shared,own-cores').split(',') as Placement[];
type Placement = 'shared' | 'own-cores';

const searchBody = JSON.stringify({ size: 10, query: { match: { title: 'quick fox' } }, aggs: { tags: { terms: { field: 'tag' } } } });
function bulkBody(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `{"index":{"_index":"${INDEX}-bulk"}}\n${JSON.stringify({ title: `doc ${i} the quick brown fox`, tag: `t${i % 7}`, n: i })}\n`;
  return s;
}

/** CPU seconds (user + system) a process has used so far (Linux /proc; clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const port = (srv.address() as { port: number }).port;
  await new Promise((res) => srv.close(res));
  return port;
}

type Running = { url: string; pid: number; stop: () => Promise<void> };

/**
 * vlrerank as users run it, measured once its models' warm-up is over (ready, or failed where no
 * models are found): health answers 200 while they warm up, so with models found (e.g.
 * VLRERANK_MODELS_DIR set) the warm-up's CPU (sessions, the concept bank) would be counted into the
 * first workload's CPU per request.
 */
function startProxy(upstream: string, dist = resolve(REPO_ROOT, 'dist')): Promise<Running> {
  return startChild((port) => [resolve(dist, 'cli/main.js'), 'serve', '--port', String(port), '--upstream', upstream], '/_vlrerank/health', async (r) => {
    const body = (await r.json().catch(() => ({}))) as { reranker?: { state?: string } };
    return body.reranker?.state !== 'warming';
  });
}

/** The floor: the least a Node proxy can do (scripts/bench/bare-proxy.ts). */
function startBareProxy(upstream: string): Promise<Running> {
  return startChild((port) => ['--import', 'tsx', resolve(REPO_ROOT, 'scripts/bench/bare-proxy.ts'), String(port), upstream], '/_cluster/health');
}

async function startChild(argv: (port: number) => string[], readyPath: string, settled: (r: Response) => Promise<boolean> = async () => true): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, argv(port), {
    cwd: REPO_ROOT,
    stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit'],
    env: { ...process.env, VLRERANK_LOG_LEVEL: process.env.VLRERANK_LOG_LEVEL ?? 'info' },
  });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error('the proxy exited before it was ready');
    const ok = await fetch(`${url}${readyPath}`).then(async (r) => r.ok && (await settled(r)), () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      if (!exited) await once(child, 'exit');
    },
  };
}

async function setupIndex(base: string): Promise<void> {
  const pool = new Pool(base);
  await pool.request({ method: 'DELETE', path: DELETE_PATH }).then((r) => r.body.dump());
  const r1 = await pool.request({
    method: 'PUT',
    path: `/${INDEX}`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { properties: { title: { type: 'text' }, tag: { type: 'keyword' }, n: { type: 'integer' } } } }),
  });
  await r1.body.dump();
  const r2 = await pool.request({ method: 'POST', path: '/_bulk?refresh=true', headers: { 'content-type': 'application/x-ndjson' }, body: bulkBody(5000).replaceAll(`${INDEX}-bulk`, INDEX) });
  await r2.body.dump();
  const r3 = await pool.request({ method: 'PUT', path: `/${INDEX}/_doc/1?refresh=true`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'the quick brown fox', tag: 't1', n: 1 }) });
  await r3.body.dump();
  await pool.close();
}

async function throughput(url: string, w: Workload): ReturnType<typeof autocannon> {
  return autocannon({ url: url + w.path, method: w.method, headers: w.headers, body: w.body || undefined, connections: w.connections, duration: DURATION });
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Sequential latency, direct and proxied interleaved in blocks of 50 so drift hits both alike. */
async function latency(direct: string, proxied: string, w: Workload, n: number): Promise<{ direct: number[]; proxied: number[] }> {
  const pools = { direct: new Pool(direct, { connections: 1 }), proxied: new Pool(proxied, { connections: 1 }) };
  const out = { direct: [] as number[], proxied: [] as number[] };
  for (let i = 0; i < n / 50; i++) {
    for (const k of ['direct', 'proxied'] as const) {
      for (let j = 0; j < 50; j++) {
        const t = performance.now();
        const r = await pools[k].request({ method: w.method as 'POST', path: w.path, headers: w.headers, body: w.body || null });
        await r.body.dump();
        out[k].push(performance.now() - t);
      }
    }
  }
  await pools.direct.close();
  await pools.proxied.close();
  out.direct.sort((a, b) => a - b);
  out.proxied.sort((a, b) => a - b);
  return out;
}

interface Workload {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  latencyN: number;
  /** Also measure the bare Node proxy (the floor) on this workload. */
  floor?: boolean;
}

/** Pin every thread of `pid` to `cpus` (taskset's list syntax); false when that is refused. */
function taskset(pid: number, cpus: string): boolean {
  return spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' }).status === 0;
}

/** Place the processes; returns false (and leaves everything on all cores) when pinning fails. */
function place(p: Placement, engine: number | undefined, others: number[]): boolean {
  const all = `0-${CORES - 1}`;
  if (p === 'shared') {
    if (engine) taskset(engine, all);
    for (const pid of others) taskset(pid, all);
    return true;
  }
  if (!engine || CORES < 2) return false;
  const rest = CORES === 2 ? '1' : `1-${CORES - 1}`;
  const ok = taskset(engine, '0') && others.every((pid) => taskset(pid, rest));
  if (!ok) place('shared', engine, others);
  return ok;
}

interface RoundsResult {
  ratio: number;
  ratios: number[];
  direct: number;
  proxied: number;
  errors: number;
  /** CPU µs per request: the proxy, the engine (direct rounds), this load generator (direct rounds). */
  proxyUs: number;
  engineUs?: number;
  loadUs: number;
  bare?: { ratio: number; us: number };
  /** The BENCH_BASE_DIST build in the same rounds. */
  base?: { us: number; perRound: number[]; proxyPerRound: number[]; barePerRound: number[] };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Direct, proxied (and the bare floor) alternating for ROUNDS rounds, so load from elsewhere hits all alike. */
async function rounds(w: Workload, direct: string, proxy: Running, bare: Running, engine: number | undefined, base?: Running): Promise<RoundsResult> {
  const ratios: number[] = [];
  const bareRatios: number[] = [];
  let dSum = 0;
  let pSum = 0;
  let errors = 0;
  const cpu = { proxy: 0, proxied: 0, engine: 0, load: 0, direct: 0, bare: 0, bareN: 0, base: 0, baseN: 0 };
  const per = { base: [] as number[], proxy: [] as number[], bare: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    const e0 = engine ? cpuSeconds(engine) : 0;
    const l0 = process.cpuUsage();
    const d = await throughput(direct, w);
    const l1 = process.cpuUsage(l0);
    if (engine) cpu.engine += cpuSeconds(engine) - e0;
    cpu.load += (l1.user + l1.system) / 1e6;
    cpu.direct += d.requests.total;
    const c0 = cpuSeconds(proxy.pid);
    const p = await throughput(proxy.url, w);
    cpu.proxy += cpuSeconds(proxy.pid) - c0;
    cpu.proxied += p.requests.total;
    per.proxy.push(((cpuSeconds(proxy.pid) - c0) / p.requests.total) * 1e6);
    if (w.floor && base) {
      const a0 = cpuSeconds(base.pid);
      const a = await throughput(base.url, w);
      cpu.base += cpuSeconds(base.pid) - a0;
      cpu.baseN += a.requests.total;
      per.base.push(((cpuSeconds(base.pid) - a0) / a.requests.total) * 1e6);
      errors += a.errors + a.non2xx;
    }
    ratios.push(p.requests.average / d.requests.average);
    if (w.floor) {
      const b0 = cpuSeconds(bare.pid);
      const b = await throughput(bare.url, w);
      cpu.bare += cpuSeconds(bare.pid) - b0;
      cpu.bareN += b.requests.total;
      per.bare.push(((cpuSeconds(bare.pid) - b0) / b.requests.total) * 1e6);
      bareRatios.push(b.requests.average / d.requests.average);
      errors += b.errors + b.non2xx;
    }
    dSum += d.requests.average;
    pSum += p.requests.average;
    errors += d.errors + p.errors + d.non2xx + p.non2xx;
  }
  return {
    ratio: median(ratios),
    ratios,
    direct: dSum / ROUNDS,
    proxied: pSum / ROUNDS,
    errors,
    proxyUs: (cpu.proxy / cpu.proxied) * 1e6,
    engineUs: engine ? (cpu.engine / cpu.direct) * 1e6 : undefined,
    loadUs: (cpu.load / cpu.direct) * 1e6,
    bare: w.floor ? { ratio: median(bareRatios), us: (cpu.bare / cpu.bareN) * 1e6 } : undefined,
    base: w.floor && base ? { us: (cpu.base / cpu.baseN) * 1e6, perRound: per.base, proxyPerRound: per.proxy, barePerRound: per.bare } : undefined,
  };
}

function report(p: Placement, w: Workload, r: RoundsResult): string[] {
  const head =
    p === 'shared'
      ? `  shared cores (engine, proxy and load generator on all ${CORES} cores):`
      : `  own cores (engine pinned to core 0; proxy and load generator on ${CORES === 2 ? 'core 1' : `cores 1-${CORES - 1}`}):`;
  const lines = [
    head,
    `    throughput  direct ${r.direct.toFixed(0)} req/s, proxied ${r.proxied.toFixed(0)} req/s → ratio ${r.ratio.toFixed(3)} (median of ${ROUNDS} alternating rounds: ${r.ratios.map((x) => x.toFixed(2)).join(' ')}; ${w.connections} connections, ${DURATION} s each)${r.errors ? `  [${r.errors} errors/non-2xx]` : ''}`,
  ];
  if (r.bare) {
    lines.push(`    bare Node proxy (the floor, scripts/bench/bare-proxy.ts): ratio ${r.bare.ratio.toFixed(3)}, ${r.bare.us.toFixed(0)} µs CPU per request`);
    lines.push(`    CPU per request ÷ the bare proxy: ${(r.proxyUs / r.bare.us).toFixed(3)} (${r.proxyUs.toFixed(0)} / ${r.bare.us.toFixed(0)} µs)`);
  }
  if (r.base && r.bare) {
    const b = r.base;
    const perRound = (xs: number[]) => xs.map((x, i) => x / b.barePerRound[i]!);
    lines.push(
      `    base build (BENCH_BASE_DIST) ${b.us.toFixed(0)} µs CPU per request, ÷ bare ${(b.us / r.bare.us).toFixed(3)}; this ÷ base ${(r.proxyUs / b.us).toFixed(3)}; per round ÷ bare: this ${perRound(b.proxyPerRound).map((x) => x.toFixed(2)).join(' ')} (median ${median(perRound(b.proxyPerRound)).toFixed(3)}), base ${perRound(b.perRound).map((x) => x.toFixed(2)).join(' ')} (median ${median(perRound(b.perRound)).toFixed(3)})`,
    );
  }
  const cpu = `    CPU per request  proxy ${r.proxyUs.toFixed(0)} µs (its own user+system time)`;
  if (p === 'shared' && r.engineUs !== undefined) {
    const base = r.engineUs + r.loadUs;
    lines.push(`${cpu}, engine ${r.engineUs.toFixed(0)} µs, load generator ${r.loadUs.toFixed(0)} µs → CPU-bound ceiling on shared cores ${(base / (base + r.proxyUs)).toFixed(3)}`);
  } else lines.push(cpu);
  return lines;
}

async function main(): Promise<void> {
  const es = await startEngine('elasticsearch');
  const direct = engineUrl('elasticsearch');
  const engine = enginePid('elasticsearch');
  await setupIndex(direct);
  const proxy = await startProxy(direct);
  const bare = await startBareProxy(direct);
  const base = process.env.BENCH_BASE_DIST ? await startProxy(direct, resolve(process.env.BENCH_BASE_DIST)) : undefined;
  // BENCH_SETTLE_S: wait before measuring, so that V8's one-off work after start (the memory
  // reducer's Mark-Compact ~30 s after start, ~115 ms of CPU for vlrerank: perf15) falls before the
  // rounds instead of into one of them, where it weighs ~100 µs a search at the engine's rate
  const settle = Number(process.env.BENCH_SETTLE_S ?? 0);
  if (settle > 0) await new Promise((r) => setTimeout(r, settle * 1000));
  const bulk = bulkBody(100);
  const nd = { 'content-type': 'application/x-ndjson' };
  const workloads: Workload[] = [
    { name: 'search (match + terms agg, size 10)', method: 'POST', path: `/${INDEX}/_search`, headers: { 'content-type': 'application/json' }, body: searchBody, connections: CONNECTIONS, latencyN: LATENCY_N, floor: true },
    { name: 'get by id', method: 'GET', path: `/${INDEX}/_doc/1`, headers: {}, body: '', connections: CONNECTIONS, latencyN: LATENCY_N, floor: true },
    // /{index}/_bulk of an index without an ingest pipeline: the pure streaming path
    { name: '_bulk 100 docs to /{index}/_bulk', method: 'POST', path: `/${INDEX}-bulk/_bulk`, headers: nd, body: bulk, connections: Math.max(2, CONNECTIONS / 2), latencyN: Math.max(200, LATENCY_N / 10) },
    // /_bulk is scanned line by line for ingest pipelines' vectors (src/ingest/), when any pipeline ingests
    { name: '_bulk 100 docs to /_bulk', method: 'POST', path: '/_bulk', headers: nd, body: bulk, connections: Math.max(2, CONNECTIONS / 2), latencyN: Math.max(200, LATENCY_N / 10) },
  ];
  // BENCH_ONLY=search,get: only the workloads whose name starts with one of these words
  const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);
  if (only) workloads.splice(0, workloads.length, ...workloads.filter((w) => only.some((o) => w.name.startsWith(o))));
  const placed = [proxy.pid, bare.pid, process.pid, ...(base ? [base.pid] : [])];
  const rows: string[] = [];
  try {
    for (const w of workloads) {
      const lines = [`${w.name}:`];
      for (const p of PLACEMENTS) {
        if (!place(p, engine, placed)) {
          lines.push(`  own cores: skipped (needs taskset, ≥ 2 cores and an engine started by scripts/engines.ts)`);
          continue;
        }
        try {
          // warm up (JIT, connection pools)
          await autocannon({ url: proxy.url + w.path, method: w.method, headers: w.headers, body: w.body || undefined, connections: w.connections, duration: 2 });
          if (w.floor) await autocannon({ url: bare.url + w.path, method: w.method, headers: w.headers, body: w.body || undefined, connections: w.connections, duration: 2 });
          if (w.floor && base) await autocannon({ url: base.url + w.path, method: w.method, headers: w.headers, body: w.body || undefined, connections: w.connections, duration: 2 });
          lines.push(...report(p, w, await rounds(w, direct, proxy, bare, engine, base)));
        } finally {
          place('shared', engine, placed);
        }
      }
      const lat = await latency(direct, proxy.url, w, w.latencyN);
      lines.push(
        `  latency c=1 (shared cores)  direct p50 ${pct(lat.direct, 50).toFixed(3)} ms p99 ${pct(lat.direct, 99).toFixed(3)} ms; proxied p50 ${pct(lat.proxied, 50).toFixed(3)} ms p99 ${pct(lat.proxied, 99).toFixed(3)} ms`,
      );
      let floor = '';
      if (w.floor) {
        const bl = await latency(direct, bare.url, w, w.latencyN);
        floor = `; bare Node proxy adds p50 ${(pct(bl.proxied, 50) - pct(bl.direct, 50)).toFixed(3)} ms`;
      }
      lines.push(`  added       p50 ${(pct(lat.proxied, 50) - pct(lat.direct, 50)).toFixed(3)} ms, p99 ${(pct(lat.proxied, 99) - pct(lat.direct, 99)).toFixed(3)} ms (${w.latencyN} requests each)${floor}`);
      rows.push(lines.join('\n'));
      process.stdout.write(`${rows[rows.length - 1]}\n`);
    }
  } finally {
    place('shared', engine, placed);
    await proxy.stop();
    await bare.stop();
    await base?.stop();
    const pool = new Pool(direct);
    await pool.request({ method: 'DELETE', path: DELETE_PATH }).then((r) => r.body.dump());
    await pool.close();
    if (es.started) await stopEngine('elasticsearch');
  }
  process.stdout.write(`\nvlrerank proxy benchmark (${new Date().toISOString()}, Node ${process.version}, ${CORES} cores, load average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})\n${rows.join('\n')}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
