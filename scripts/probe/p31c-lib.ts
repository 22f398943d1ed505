/** Held-out probe round 31c: the proxies and their engines, a raw call, the SciFact docs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA } from '../../test/helpers/paths.js';

export const SIDES = {
  es8: { proxy: 'http://127.0.0.1:19860', engine: 'http://127.0.0.1:19200' },
  os2: { proxy: 'http://127.0.0.1:19861', engine: 'http://127.0.0.1:19201' },
  os3: { proxy: 'http://127.0.0.1:19862', engine: 'http://127.0.0.1:19202' },
  es9: { proxy: 'http://127.0.0.1:19863', engine: 'http://127.0.0.1:19203' },
} as const;
export type Side = keyof typeof SIDES;

export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: any; type: string | null }> {
  const nd = typeof body === 'string';
  const r = await fetch(`${base}${path}`, { method, headers: { ...(body === undefined ? {} : { 'content-type': nd ? 'application/x-ndjson' : 'application/json' }), ...headers }, body: body === undefined ? undefined : nd ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, text, json, type: r.headers.get('content-type') };
}

export function kbDocs(n: number): Array<Record<string, unknown> & { _id: string }> {
  return readFileSync(join(DATA, 'scifact-beir', 'corpus.jsonl'), 'utf8').trim().split('\n').slice(0, n).map((l) => JSON.parse(l))
    .map((d, i) => ({ _id: String(d._id), title: d.title, text: String(d.text).slice(0, 600), year: 2000 + (i % 20), tag: i % 3 === 0 ? 'a' : 'b' }));
}
export const bulkBody = (index: string, docs: Array<Record<string, unknown> & { _id: string }>) =>
  docs.map(({ _id, ...d }) => `${JSON.stringify({ index: { _index: index, _id } })}\n${JSON.stringify(d)}\n`).join('');
