/**
 * Health while huge answers are written (issue 13 §2, task ld27): one client sends `/v1/rerank` bodies
 * of four 2.5 MiB texts with `return_documents: true` — the answer echoes ~10 MiB — while
 * `/_vlrerank/health?live` is asked back to back; and, apart, a normal small rerank (two short texts,
 * documents returned) one after another. Each server in turn, round after round (the order flipping),
 * so that they share the machine's noise; figures are medians over rounds, and ratios against the
 * first server.
 *
 * Servers: `--base DIR` (another checkout, e.g. `git archive main`, run as it is), then this checkout
 * with `server.answerWorkerFromBytes` past any answer (`main-thread`: every answer stringified here),
 * then this checkout as configured by default (`worker`).
 * `--cpu-profile DIR`: each server writes a V8 CPU profile there (read it with cpu-profile-top.ts).
 *
 * Usage: tsx scripts/bench/answer-worker.ts [--base DIR] [--rounds 4] [--big 3] [--small 40] [--cpu-profile DIR]
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';
import { spawnServe } from './serve-process.js';

const argv = process.argv.slice(2);
const arg = (name: string, d: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : d);
const SHARED = resolve(import.meta.dirname, '../../../shared');
const ROUNDS = Number(arg('--rounds', '4'));
const BIG = Number(arg('--big', '3'));
const SMALL = Number(arg('--small', '40'));
const BASE = argv.includes('--base') ? resolve(arg('--base', '')) : undefined;
/** --only base,main-thread: just these servers. */
const ONLY = arg('--only', 'base,main-thread,worker').split(',');
const PROBE_MS = 10;
const PROFILE = argv.includes('--cpu-profile') ? resolve(arg('--cpu-profile', '')) : undefined;

const unit = readFileSync(join(SHARED, 'data/scifact-beir/corpus.jsonl'), 'utf8').split('\n', 20).filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text);
const bigBody = Buffer.from(
  JSON.stringify({
    query: 'vitamin D and bone fractures',
    documents: Array.from({ length: 4 }, (_, i) => {
      const start = unit.slice(i * 5, i * 5 + 5).join(' ') + ' ';
      return start.repeat(Math.ceil((2.5 * 1048576) / start.length)).slice(0, 2.5 * 1048576);
    }),
    return_documents: true,
  }),
);
const smallBody = Buffer.from(JSON.stringify({ query: 'vitamin D and bone fractures', documents: [unit[0]!, unit[1]!], return_documents: true }));

interface Server {
  name: string;
  url: string;
  stop(): Promise<void>;
}

async function start(name: string, o: { repo?: string; config?: string }): Promise<Server> {
  const env: Record<string, string> = { VLRERANK_STORE_DISK_PATH: 'off' };
  if (o.config) {
    const file = join(mkdtempSync(join(tmpdir(), 'ld27-bench-')), 'config.yaml');
    writeFileSync(file, o.config);
    env.VLRERANK_CONFIG = file;
  }
  // one folder per server: each thread (the main one, tsx's loader, workers) writes a profile of its own
  const nodeArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE, name)}`] : [];
  const { url, child } = await spawnServe({ upstream: 'http://127.0.0.1:9', modelsDir: join(SHARED, 'models'), env, nodeArgs, repo: o.repo });
  return {
    name,
    url,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

/** Status and answer size; the answer is counted, never decoded (this process's loop is not what is measured). */
async function post(pool: Pool, body: Buffer): Promise<{ status: number; bytes: number }> {
  const r = await pool.request({ method: 'POST', path: '/v1/rerank', headers: { 'content-type': 'application/json' }, body, headersTimeout: 300_000, bodyTimeout: 300_000 });
  let bytes = 0;
  for await (const c of r.body) bytes += (c as Buffer).length;
  return { status: r.statusCode, bytes };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const median = (xs: number[]) => pct(xs, 50);

interface Round {
  healthP50: number;
  healthP99: number;
  healthMax: number;
  bigMs: number;
  smallP50: number;
}

async function round(s: Server): Promise<Round> {
  const pool = new Pool(s.url, { connections: 2, pipelining: 1 });
  const probe = new Pool(s.url, { connections: 64, pipelining: 1 });
  try {
    const small: number[] = [];
    for (let i = 0; i < SMALL; i++) {
      const t0 = performance.now();
      const r = await post(pool, smallBody);
      if (r.status !== 200) throw new Error(`${s.name}: small rerank answered ${r.status}`);
      small.push(performance.now() - t0);
    }
    const health: number[] = [];
    let done = false;
    const t0 = performance.now();
    const big = (async () => {
      for (let i = 0; i < BIG; i++) {
        const r = await post(pool, bigBody);
        if (r.status !== 200 || r.bytes < 10 * 1048576) throw new Error(`${s.name}: big rerank answered ${r.status}, ${r.bytes} bytes`);
      }
      done = true;
    })();
    // open loop: a probe due every PROBE_MS, its latency counted from when it was due (a stalled loop delays every probe due meanwhile)
    const inFlight: Promise<void>[] = [];
    for (let i = 0; !done; i++) {
      const due = t0 + i * PROBE_MS;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inFlight.push(
        probe.request({ method: 'GET', path: '/_vlrerank/health?live' }).then(async (r) => {
          await r.body.dump();
          health.push(performance.now() - due);
        }),
      );
    }
    await Promise.all(inFlight);
    await big;
    const bigMs = (performance.now() - t0) / BIG;
    return { healthP50: pct(health, 50), healthP99: pct(health, 99), healthMax: Math.max(...health), bigMs, smallP50: median(small) };
  } finally {
    await pool.close();
    await probe.close();
  }
}

async function main(): Promise<void> {
  const servers: Server[] = [];
  try {
    if (BASE && ONLY.includes('base')) servers.push(await start('base', { repo: BASE }));
    if (ONLY.includes('main-thread')) servers.push(await start('main-thread', { config: `server:\n  answerWorkerFromBytes: ${2 ** 40}\n` }));
    if (ONLY.includes('worker')) servers.push(await start('worker', {}));
    for (const s of servers) await post(new Pool(s.url), smallBody); // models loaded outside the measured time
    for (const s of servers) await round(s); // and one big answer each
    const rounds = new Map<string, Round[]>(servers.map((s) => [s.name, []]));
    for (let r = 0; r < ROUNDS; r++) for (const s of r % 2 ? [...servers].reverse() : servers) rounds.get(s.name)!.push(await round(s));
    const first = servers[0]!.name;
    const agg = (name: string, k: keyof Round) => median(rounds.get(name)!.map((x) => x[k]));
    console.log(`answer-worker: /v1/rerank of 4 × 2.5 MiB texts with return_documents (answer ${((bigBody.length - 50) / 1048576).toFixed(1)} MiB) ×${BIG} per round while /_vlrerank/health?live is asked every ${PROBE_MS} ms (open loop, latency from when due); small rerank (2 short texts) ×${SMALL}; medians of ${ROUNDS} rounds; load average ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
    console.log(`${'server'.padEnd(12)} ${'health p50'.padStart(11)} ${'health p99'.padStart(11)} ${'health max'.padStart(11)} ${'big answer ms'.padStart(14)} ${'small p50'.padStart(10)}   ratios to ${first} (p99, max, big, small p50)`);
    for (const s of servers) {
      const v = (k: keyof Round) => agg(s.name, k);
      const ratio = (k: keyof Round) => `×${(v(k) / agg(first, k)).toFixed(2)}`;
      console.log(`${s.name.padEnd(12)} ${v('healthP50').toFixed(1).padStart(11)} ${v('healthP99').toFixed(1).padStart(11)} ${v('healthMax').toFixed(1).padStart(11)} ${v('bigMs').toFixed(0).padStart(14)} ${v('smallP50').toFixed(2).padStart(10)}   ${ratio('healthP99')} ${ratio('healthMax')} ${ratio('bigMs')} ${ratio('smallP50')}`);
    }
  } finally {
    for (const s of servers) await s.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
