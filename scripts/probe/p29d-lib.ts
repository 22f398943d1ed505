/** Held-out probe round 29d: helpers — the two proxies and their engines, a call, the grocery docs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA } from '../../test/helpers/paths.js';

export const SIDES = {
  es8: { proxy: 'http://127.0.0.1:19740', engine: 'http://127.0.0.1:19200' },
  os2: { proxy: 'http://127.0.0.1:19741', engine: 'http://127.0.0.1:19201' },
} as const;
export type Side = keyof typeof SIDES;
export const G = join(DATA, 'grocery-store-products');

export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: any }> {
  const nd = typeof body === 'string';
  const r = await fetch(`${base}${path}`, { method, headers: { ...(body === undefined ? {} : { 'content-type': nd ? 'application/x-ndjson' : 'application/json' }), ...headers }, body: body === undefined ? undefined : nd ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, text, json };
}

export function groceryDocs(n: number): Array<Record<string, unknown> & { _id: string }> {
  return readFileSync(join(G, 'catalog.jsonl'), 'utf8').trim().split('\n').slice(0, n).map((l) => JSON.parse(l)).map((p) => ({ _id: p.class_name, title: p.title, description: p.description, image: join(G, p.iconic_image) }));
}
export const bulkBody = (index: string, docs: Array<Record<string, unknown> & { _id: string }>) =>
  docs.map(({ _id, ...d }) => `${JSON.stringify({ index: { _index: index, _id } })}\n${JSON.stringify(d)}\n`).join('');
/** An answer with `took` and index uuids taken out, to compare with the engine's. */
export const strip = (j: any) => JSON.stringify(j, (k, v) => (k === 'took' || k === 'index_uuid' ? undefined : v));
