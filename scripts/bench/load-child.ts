/**
 * One part of `npm run bench:load`'s traffic in a process of its own (see load-traffic.ts for why).
 * Started by `inChild()` with a JSON role: it says `ready` once loaded, starts when a line arrives
 * on stdin (so every part starts together, after their start-up), runs for `seconds`, and writes
 * its samples as one JSON line (`samples […]`) before it exits. Never started by hand.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { client, healthProber, passthroughProbe, Traffic, type Sample } from './load-traffic.js';

export type ChildRole =
  | { role: 'probe'; url: string; seconds: number; rate: number; seed: number; kind?: 'plain' | 'direct' | 'api_probe' }
  | { role: 'health'; url: string; seconds: number }
  | { role: 'clients'; url: string; seconds: number; reranked: number; rerankApi: number; honourRetryAfter: boolean; seed: number; preconnect?: boolean };

async function run(spec: ChildRole): Promise<Sample[]> {
  const out: Sample[] = [];
  const until = performance.now() + spec.seconds * 1000;
  if (spec.role === 'probe') await passthroughProbe(new Traffic(spec.seed), spec.url, spec.rate, until, out, spec.kind);
  else if (spec.role === 'health') await healthProber(spec.url, until, out);
  else {
    const t = new Traffic(spec.seed);
    const pool = preconnected ?? new Pool(spec.url, { connections: spec.reranked + spec.rerankApi + 2, pipelining: 1 });
    try {
      await Promise.all([
        ...Array.from({ length: spec.reranked }, () => client(t, pool, 'reranked', until, out, spec.honourRetryAfter)),
        ...Array.from({ length: spec.rerankApi }, () => client(t, pool, 'rerank_api', until, out, spec.honourRetryAfter)),
      ]);
    } finally {
      await pool.close();
    }
  }
  return out;
}

/**
 * Start a part in a child process; `ready` resolves once it is loaded, `go()` starts it and resolves
 * with its samples. `nice` > 0 runs it at that lower CPU priority (every thread of it: `nice` starts
 * the process so, before any thread exists).
 */
export function inChild(spec: ChildRole, nice = 0): { ready: Promise<void>; go(): Promise<Sample[]> } {
  const argv = [process.execPath, '--import', 'tsx', import.meta.filename, JSON.stringify(spec)];
  const child = nice > 0 ? spawn('nice', ['-n', String(nice), ...argv], { stdio: ['pipe', 'pipe', 'inherit'] }) : spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  let onReady: () => void;
  let onSamples: (s: Sample[]) => void;
  let fail: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => ((onReady = res), (fail = rej)));
  const samples = new Promise<Sample[]>((res, rej) => {
    onSamples = res;
    const prev = fail;
    fail = (e) => (prev(e), rej(e));
  });
  samples.catch(() => undefined);
  lines.on('line', (l) => {
    if (l === 'ready') onReady();
    else if (l.startsWith('samples ')) onSamples(JSON.parse(l.slice(8)) as Sample[]);
  });
  child.on('exit', (code) => fail(new Error(`bench:load child (${spec.role}) exited ${code} without its samples`)));
  return {
    ready,
    go: () => {
      child.stdin!.end('go\n');
      return samples;
    },
  };
}

/** --preconnect: open every client's connection (a `?live` health call each, all at once) before saying ready. */
async function preconnect(spec: ChildRole): Promise<void> {
  if (spec.role !== 'clients' || !spec.preconnect) return;
  const pool = new Pool(spec.url, { connections: spec.reranked + spec.rerankApi + 2, pipelining: 1 });
  await Promise.all(Array.from({ length: spec.reranked + spec.rerankApi }, async () => (await pool.request({ method: 'GET', path: '/_vlrerank/health?live' })).body.text()));
  preconnected = pool;
}
let preconnected: Pool | undefined;

if (process.argv[1] === import.meta.filename && process.argv[2]) {
  const spec = JSON.parse(process.argv[2]) as ChildRole;
  await preconnect(spec);
  process.stdout.write('ready\n');
  const rl = createInterface({ input: process.stdin });
  rl.once('line', () => {
    rl.close();
    void run(spec).then((s) => process.stdout.write(`samples ${JSON.stringify(s)}\n`, () => process.exit(0)));
  });
}
