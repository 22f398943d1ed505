/**
 * Held-out probe round 24c: helpers to run several `vlrerank serve` processes (this worktree, `npx
 * tsx`) on one disk-tier folder, ask them reranks and read their health and metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export const REPO = new URL('../..', import.meta.url).pathname;
import { DATA, MODELS } from '../../test/helpers/paths.js';

export { DATA, MODELS };

export interface Serve {
  port: number;
  url: string;
  child: ChildProcess;
  log: string;
}

export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))) as Record<string, string>;
  return { ...env, VLRERANK_MEDIA_ROOTS: DATA, VLRERANK_MODELS_DIR: MODELS, VLRERANK_UPSTREAM: 'http://127.0.0.1:19200', VLRERANK_LOG_LEVEL: 'warn', ...extra };
}

export async function serve(port: number, storePath: string, extra: Record<string, string> = {}, wrap: string[] = []): Promise<Serve> {
  const argv = [...wrap, process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port)];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: REPO, env: baseEnv({ VLRERANK_STORE_DISK_PATH: storePath, ...extra }), stdio: ['ignore', 'pipe', 'pipe'] });
  const s: Serve = { port, url: `http://127.0.0.1:${port}`, child, log: '' };
  child.stdout!.on('data', (c: Buffer) => (s.log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (s.log += c.toString()));
  await ready(s);
  return s;
}

export async function ready(s: Serve, ms = 240_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (s.child.exitCode !== null || s.child.signalCode !== null) throw new Error(`serve ${s.port} exited: ${s.log.slice(-2000)}`);
    try {
      const h = (await (await fetch(`${s.url}/_vlrerank/health`)).json()) as { reranker?: { state?: string } };
      if (h.reranker?.state === 'ready') return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`serve ${s.port} not ready: ${s.log.slice(-2000)}`);
}

export async function stop(s: Serve, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return s.child.exitCode;
  const done = new Promise<number | null>((r) => s.child.once('exit', (c) => r(c)));
  s.child.kill(signal);
  return done;
}

export type Doc = string | { text?: string; image?: string; video?: string };

export async function rerank(url: string, query: string, documents: Doc[]): Promise<{ status: number; scores: number[]; body: unknown }> {
  const res = await fetch(`${url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, documents }) });
  const body = (await res.json()) as { results?: Array<{ index: number; relevance_score: number }> };
  const scores = (body.results ?? []).sort((a, b) => a.index - b.index).map((r) => r.relevance_score);
  return { status: res.status, scores, body };
}

export async function health(url: string): Promise<{ disk: Record<string, unknown>; status: string }> {
  const h = (await (await fetch(`${url}/_vlrerank/health`)).json()) as { status: string; feature_store: { disk: Record<string, unknown> } };
  return { disk: h.feature_store.disk, status: h.status };
}

/** Model runs by model, disk lookups by outcome, store up and errors, from /_vlrerank/metrics. */
export async function metrics(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/_vlrerank/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^vlrerank_(model_runs_total\{model="[^"]+"\}|feature_lookups_total\{tier="disk",outcome="\w+"\}|feature_store_up\{tier="disk"\}|feature_store_errors_total\{tier="disk"\}|unhandled_rejections_total) (\S+)/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

export function diff(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(b)) if ((b[k] ?? 0) !== (a[k] ?? 0)) out[k] = (b[k] ?? 0) - (a[k] ?? 0);
  return out;
}

/** The JPEGs under `root`, sorted by path. */
function jpegsUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (/\.jpe?g$/i.test(e.name)) out.push(join(d, e.name));
    }
  };
  walk(root);
  return out;
}

export function photos(set: 'coco' | 'caltech' | 'grocery', n: number, skip = 0): string[] {
  const root = join(DATA, { coco: 'coco-captions-mini/images/val2017', caltech: 'caltech101-mini', grocery: 'grocery-store-products' }[set]);
  return jpegsUnder(root).slice(skip, skip + n);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
