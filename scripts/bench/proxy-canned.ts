/**
 * Passthrough CPU against a canned upstream (`tsx scripts/bench/proxy-canned.ts`): the engine's
 * answers recorded once (a relay in front of Elasticsearch keeps the first answer to each method
 * and path, status, headers and body byte for byte) and served from memory after, so the proxies'
 * own CPU per request is measured without the engine's CPU and its noise on the same cores. The
 * bare Node proxy (bare-proxy.ts), this checkout's dist/ and, with BENCH_BASE_DIST, another
 * build's, in alternating rounds; prints CPU µs per request (and its system share) and each ÷ the
 * bare proxy per round.
 *
 * BENCH_ROUNDS (8), BENCH_DURATION (4 s), BENCH_CONNECTIONS (8), BENCH_ONLY=search,get;
 * BENCH_DELAY_MS: the relay answers that long after each request (as the engine takes ~5–10 ms at
 * c = 8): the proxies then idle between requests as in bench:proxy, where a request's CPU is ~3×
 * what it is when answers come at once (cold caches, one wake-up per event);
 * BENCH_PROFILE=<dir>: the vlrerank under test (and the bare proxy, in <dir>/bare) run with
 * `--cpu-prof` (100 µs interval); BENCH_DIRECT=1: the engine itself upstream, no relay;
 * BENCH_THIS_DIST: the build under test instead of this checkout's dist/; BENCH_INDEX: the index
 * name (default vlr-bench-canned); BENCH_CONFIG: a config file for both builds under test;
 * BENCH_THREADS=1: each process's CPU per request split by thread (main, V8 workers, libuv pool).
 *
 * Read old ÷ new from two runs with the builds' places swapped (BENCH_THIS_DIST ↔ BENCH_BASE_DIST):
 * on the loaded 2-core machine (load 15–20) the same build measured ~6 % dearer in the first place
 * than in the second, in either order, and per-round ratios swing 0.7–1.6.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as netServer } from 'node:net';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { REPO_ROOT, engineUrl } from '../engines.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const DURATION = Number(process.env.BENCH_DURATION ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
/** BENCH_INDEX: the index made (and deleted) for the run — a helper's own prefix when several bench on one cluster. */
const INDEX = process.env.BENCH_INDEX ?? 'vlr-bench-canned';
/** BENCH_CONFIG: a vlrerank config file for the builds under test (e.g. a pipelines folder without a default pipeline). */
const CONFIG = process.env.BENCH_CONFIG;
/** BENCH_DELAY_MS: the relay answers this long after the request (the engine's time), so the proxies idle between requests as they do in front of it. */
const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 0);

function cpuSeconds(pid: number, part?: 'user' | 'system'): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((part === 'system' ? 0 : Number(f[11])) + (part === 'user' ? 0 : Number(f[12]))) / 100;
}

/** CPU seconds of each thread of `pid` by thread name (`/proc/<pid>/task/<tid>/stat`: node's main thread, V8's workers, libuv's pool…). */
function threadSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      const main = tid === String(pid) ? 'main' : name.replace(/\d+$/, '#');
      out.set(main, (out.get(main) ?? 0) + (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

async function freePort(): Promise<number> {
  const s = netServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The relay: the first answer to each method + path from the engine, then always that one. */
async function cannedUpstream(engine: string): Promise<{ url: string; close: () => void }> {
  const pool = new Pool(engine);
  const kept = new Map<string, { status: number; headers: string[]; body: Buffer }>();
  const read = (req: IncomingMessage) => new Promise<Buffer>((r) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => r(Buffer.concat(parts)));
  });
  const server = createServer(async (req, res) => {
    const body = await read(req);
    const key = `${req.method} ${req.url}`;
    let a = kept.get(key);
    if (!a) {
      const headers: Record<string, string> = {};
      if (req.headers['content-type']) headers['content-type'] = req.headers['content-type'];
      const up = await pool.request({ method: req.method as 'GET', path: req.url!, headers, body: body.length ? body : null, responseHeaders: 'raw' } as Parameters<Pool['request']>[0]);
      const raw = (up.headers as unknown as Buffer[]).map((b) => b.toString('latin1'));
      a = { status: up.statusCode, headers: raw, body: Buffer.from(await up.body.arrayBuffer()) };
      if (up.statusCode < 300) kept.set(key, a);
    }
    const answer = a;
    const send = () => {
      res.sendDate = false;
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    };
    if (DELAY_MS > 0) setTimeout(send, DELAY_MS);
    else send();
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

type Running = { name: string; url: string; pid: number; stop: () => Promise<void> };

async function start(name: string, argv: (port: number) => string[], ready: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, argv(port), { cwd: REPO_ROOT, stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${name} exited before it was ready`);
    if (await fetch(url + ready).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return { name, url, pid: child.pid!, stop: async () => void (child.kill('SIGTERM'), exited || (await once(child, 'exit'))) };
}

const vlrerank = (name: string, dist: string, upstream: string, profile?: string) =>
  start(name, (port) => [...(profile ? ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', profile] : []), resolve(dist, 'cli/main.js'), 'serve', ...(CONFIG ? ['--config', resolve(CONFIG)] : []), '--port', String(port), '--upstream', upstream], '/_vlrerank/health');

async function setup(engine: string): Promise<void> {
  const pool = new Pool(engine);
  const json = { 'content-type': 'application/json' };
  await pool.request({ method: 'DELETE', path: `/${INDEX}` }).then((r) => r.body.dump());
  await pool.request({ method: 'PUT', path: `/${INDEX}`, headers: json, body: JSON.stringify({ settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { properties: { title: { type: 'text' }, tag: { type: 'keyword' } } } }) }).then((r) => r.body.dump());
  let bulk = '';
  for (let i = 0; i < 200; i++) bulk += `{"index":{"_id":"${i + 1}"}}\n${JSON.stringify({ title: `doc ${i} the quick brown fox`, tag: `t${i % 7}` })}\n`;
  await pool.request({ method: 'POST', path: `/${INDEX}/_bulk?refresh=true`, headers: { 'content-type': 'application/x-ndjson' }, body: bulk }).then((r) => r.body.dump());
  await pool.close();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const engine = engineUrl('elasticsearch');
  await setup(engine);
  // BENCH_DIRECT=1: no relay, the engine itself upstream (to profile under the real answer times)
  const up = process.env.BENCH_DIRECT ? { url: engine, close: () => undefined } : await cannedUpstream(engine);
  const procs: Running[] = [await start('bare', (port) => [...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', `${process.env.BENCH_PROFILE}/bare`] : []), '--import', 'tsx', resolve(REPO_ROOT, 'scripts/bench/bare-proxy.ts'), String(port), up.url], '/_cluster/health')];
  procs.push(await vlrerank('this', resolve(process.env.BENCH_THIS_DIST ?? resolve(REPO_ROOT, 'dist')), up.url, process.env.BENCH_PROFILE));
  if (process.env.BENCH_BASE_DIST) procs.push(await vlrerank('base', resolve(process.env.BENCH_BASE_DIST), up.url));
  const searchBody = JSON.stringify({ size: 10, query: { match: { title: 'quick fox' } }, aggs: { tags: { terms: { field: 'tag' } } } });
  const workloads: { name: string; method: string; path: string; headers: Record<string, string>; body: string | undefined }[] = [
    { name: 'search', method: 'POST', path: `/${INDEX}/_search`, headers: { 'content-type': 'application/json' }, body: searchBody },
    { name: 'get', method: 'GET', path: `/${INDEX}/_doc/1`, headers: {} as Record<string, string>, body: undefined },
  ].filter((w) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(',').includes(w.name));
  try {
    for (const w of workloads) {
      const run = (p: Running, duration: number) => autocannon({ url: p.url + w.path, method: w.method, headers: w.headers, body: w.body, connections: CONNECTIONS, duration });
      // requests each process served in this workload (warm-up included): a profile's µs per request
      const served: Record<string, number> = Object.fromEntries(procs.map((p) => [p.name, 0]));
      for (const p of procs) served[p.name]! += (await run(p, 2)).requests.total; // warm up
      // CPU by thread over the measured rounds (BENCH_THREADS=1 prints it): is the difference on the main thread?
      const threads: Record<string, Map<string, number>> = Object.fromEntries(procs.map((p) => [p.name, new Map()]));
      const measured: Record<string, number> = Object.fromEntries(procs.map((p) => [p.name, 0]));
      const us: Record<string, number[]> = Object.fromEntries(procs.map((p) => [p.name, []]));
      const sys: Record<string, number[]> = Object.fromEntries(procs.map((p) => [p.name, []]));
      for (let i = 0; i < ROUNDS; i++) {
        for (const p of i % 2 ? [...procs].reverse() : procs) {
          const t0 = threadSeconds(p.pid);
          const c0 = cpuSeconds(p.pid);
          const s0 = cpuSeconds(p.pid, 'system');
          const r = await run(p, DURATION);
          served[p.name]! += r.requests.total;
          for (const [k, v] of threadSeconds(p.pid)) threads[p.name]!.set(k, (threads[p.name]!.get(k) ?? 0) + v - (t0.get(k) ?? 0));
          measured[p.name]! += r.requests.total;
          sys[p.name]!.push(((cpuSeconds(p.pid, 'system') - s0) / r.requests.total) * 1e6);
          if (r.non2xx || r.errors) throw new Error(`${p.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
          us[p.name]!.push(((cpuSeconds(p.pid) - c0) / r.requests.total) * 1e6);
        }
      }
      const bare = us.bare!;
      const line = procs
        .filter((p) => p.name !== 'bare')
        .map((p) => {
          const ratios = us[p.name]!.map((x, i) => x / bare[i]!);
          return `${p.name} ${median(us[p.name]!).toFixed(1)} µs ÷ bare ${median(ratios).toFixed(3)} (${ratios.map((x) => x.toFixed(2)).join(' ')})`;
        });
      const base = us.base ? `; this ÷ base ${median(us.this!.map((x, i) => x / us.base![i]!)).toFixed(3)}` : '';
      const sysLine = procs.map((p) => `${p.name} ${median(sys[p.name]!).toFixed(1)}`).join(', ');
      process.stdout.write(`${w.name}: bare ${median(bare).toFixed(1)} µs; ${line.join('; ')}${base}\n  of which system time (median µs): ${sysLine}\n`);
      if (process.env.BENCH_THREADS) {
        for (const p of procs) {
          const byThread = [...threads[p.name]!].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
          process.stdout.write(`  ${p.name} by thread (µs a request): ${byThread.map(([k, v]) => `${k} ${((v / measured[p.name]!) * 1e6).toFixed(1)}`).join(', ')}\n`);
        }
      }
      if (process.env.BENCH_PROFILE) process.stdout.write(`  requests served (for the profiles): ${procs.map((p) => `${p.name} ${served[p.name]}`).join(', ')}\n`);
    }
  } finally {
    for (const p of procs) await p.stop();
    up.close();
    await new Pool(engine).request({ method: 'DELETE', path: `/${INDEX}` }).then((r) => r.body.dump());
  }
  process.stdout.write(`load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
