/** Held-out probe round 27c: helpers — POST a rerank API, read the server's metrics, the data. */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DATA = resolve(import.meta.dirname, '../../../shared/data');
export const BASE = process.env.P27C_BASE ?? 'http://127.0.0.1:19600';
export const PHOTOS = readdirSync(join(DATA, 'coco-captions-mini/images/val2017')).sort().map((f) => join(DATA, 'coco-captions-mini/images/val2017', f));
export const ABSTRACTS = readFileSync(join(DATA, 'scifact-beir/corpus.jsonl'), 'utf8').trim().split('\n').slice(0, 400).map((l) => (JSON.parse(l) as { text: string }).text);
export const CLIPS = readdirSync(join(DATA, 'intel-sample-videos/clips')).filter((f) => f.endsWith('.mp4')).sort().map((f) => join(DATA, 'intel-sample-videos/clips', f));

export async function post(path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<{ status: number; json: any; headers: Headers }> {
  const r = await fetch(BASE + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal });
  const t = await r.text();
  let json: unknown;
  try { json = JSON.parse(t); } catch { json = t; }
  return { status: r.status, json, headers: r.headers };
}

/** Counters of /_vlrerank/metrics as `name{labels}` → value. */
export async function metrics(): Promise<Map<string, number>> {
  const t = await (await fetch(BASE + '/_vlrerank/metrics')).text();
  const m = new Map<string, number>();
  for (const l of t.split('\n')) if (l && !l.startsWith('#')) { const i = l.lastIndexOf(' '); m.set(l.slice(0, i), Number(l.slice(i + 1))); }
  return m;
}
export function delta(a: Map<string, number>, b: Map<string, number>, re: RegExp): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of b) if (re.test(k)) { const d = v - (a.get(k) ?? 0); if (d) out[k] = d; }
  return out;
}
export const sumCalls = (u: { model_calls?: Record<string, number> }) => Object.values(u?.model_calls ?? {}).reduce((s, n) => s + n, 0);
