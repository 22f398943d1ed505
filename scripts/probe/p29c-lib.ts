/** Held-out probe round 29c: helpers — the four proxies and their engines, a call, the grocery docs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA } from '../../test/helpers/paths.js';

export const SIDES = {
  es8: { proxy: 'http://127.0.0.1:19700', engine: 'http://127.0.0.1:19200' },
  os2: { proxy: 'http://127.0.0.1:19701', engine: 'http://127.0.0.1:19201' },
  os3: { proxy: 'http://127.0.0.1:19702', engine: 'http://127.0.0.1:19202' },
  es9: { proxy: 'http://127.0.0.1:19703', engine: 'http://127.0.0.1:19203' },
} as const;
export type Side = keyof typeof SIDES;
export const G = join(DATA, 'grocery-store-products');

export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: any; headers: Headers }> {
  const nd = typeof body === 'string';
  const r = await fetch(`${base}${path}`, { method, headers: { ...(body === undefined ? {} : { 'content-type': nd ? 'application/x-ndjson' : 'application/json' }), ...headers }, body: body === undefined ? undefined : nd ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, text, json, headers: r.headers };
}

export function groceryDocs(n: number): Array<Record<string, unknown> & { _id: string }> {
  return readFileSync(join(G, 'catalog.jsonl'), 'utf8').trim().split('\n').slice(0, n).map((l) => JSON.parse(l)).map((p) => ({ _id: p.class_name, title: p.title, description: p.description, image: join(G, p.iconic_image) }));
}
export const bulkBody = (index: string, docs: Array<Record<string, unknown> & { _id: string }>) =>
  docs.map(({ _id, ...d }) => `${JSON.stringify({ index: { _index: index, _id } })}\n${JSON.stringify(d)}\n`).join('');
