/** Held-out probe round 28b: helpers — the proxy, the engine, indices made with `index setup`, a reranked score of ids. */
import { join } from 'node:path';
import { indexSetup } from './grocery-copy.js';
import { DATA } from '../../test/helpers/paths.js';

export const BASE = process.env.P28B_BASE ?? 'http://127.0.0.1:19650';
export const ENGINE = process.env.P28B_ENGINE ?? 'http://127.0.0.1:19200';
export const TMP = process.env.P28B_TMP ?? '/tmp/p28b-es';
export const G = join(DATA, 'grocery-store-products', 'iconic-images-and-descriptions');
export const BANANA = join(G, 'Fruit/Banana/Banana_Iconic.jpg');
export const MILK = join(G, 'Packages/Milk/Arla-Standard-Milk/Arla-Standard-Milk_Iconic.jpg');

export async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: any; ms: number }> {
  const t0 = performance.now();
  const nd = typeof body === 'string';
  const r = await fetch(`${base}${path}`, { method, headers: body === undefined ? {} : { 'content-type': nd ? 'application/x-ndjson' : 'application/json' }, body: body === undefined ? undefined : nd ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, text, json, ms: Math.round(performance.now() - t0) };
}

/** `index setup` of `index` for pipeline `name` (from the server's pipelines folder), then `properties` added. */
export async function setup(name: string, index: string, properties: Record<string, unknown>): Promise<void> {
  await call(ENGINE, 'DELETE', `/${index}`);
  await indexSetup(ENGINE, join(TMP, 'pipes'), name, index);
  const m = await call(ENGINE, 'PUT', `/${index}/_mapping`, { properties });
  if (m.status !== 200) throw new Error(m.text);
}

/** Each id's rerank score and explanation (the window being those ids only, a client `ids` query). */
export async function scores(index: string, q: string, ids: string[]): Promise<{ status: number; by: Record<string, any>; report: any; ms: number; text: string }> {
  const r = await call(BASE, 'POST', `/${index}/_search`, { size: ids.length, query: { ids: { values: ids } }, ext: { vlrerank: { query: { text: q }, explain: true } } });
  const by: Record<string, any> = {};
  for (const h of r.json?.hits?.hits ?? []) by[h._id] = h;
  return { status: r.status, by, report: r.json?.vlrerank, ms: r.ms, text: r.text };
}
