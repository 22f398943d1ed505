/**
 * Held-out probe round 26a (a rolling upgrade: two builds of vlrerank side by side on the same
 * indices, L2 folder and Redis). Shared helpers: the documents (p26a-grocery, -coco, -videos from
 * ../shared/data), writing them through one build, searching, reading model runs and store counters
 * from a build's metrics, and a document's raw feature record from the engine.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inflateRawSync, inflateSync } from 'node:zlib';
import { REPO_ROOT } from '../engines.js';

export const DATA = resolve(REPO_ROOT, '../shared/data');
export const ES = process.env.P26A_ENGINE ?? 'http://127.0.0.1:19200';

export type Doc = { index: string; id: string; body: Record<string, unknown> };

export function docs(): Doc[] {
  const g = join(DATA, 'grocery-store-products');
  const rows = readFileSync(join(g, 'catalog.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { title: string; description: string; iconic_image: string; class_name: string });
  const coco = readFileSync(join(DATA, 'coco-captions-mini/captions.jsonl'), 'utf8').trim().split('\n').slice(0, 24).map((l) => JSON.parse(l) as { image: string; coco_id: number; captions: string[] });
  const clips = readdirSync(join(DATA, 'intel-sample-videos/clips')).filter((f) => f.endsWith('.mp4')).sort().slice(0, 6);
  const out: Doc[] = [];
  for (const r of rows.slice(0, 30)) out.push({ index: 'p26a-grocery', id: r.class_name, body: { title: r.title, description: r.description, image: join(g, r.iconic_image) } });
  for (const c of coco) out.push({ index: 'p26a-coco', id: String(c.coco_id), body: { caption: c.captions[0], image: join(DATA, 'coco-captions-mini', c.image) } });
  for (const c of clips) out.push({ index: 'p26a-videos', id: c.replace(/\.mp4$/, ''), body: { title: c.replace(/\.mp4$/, '').replace(/-/g, ' '), video: join(DATA, 'intel-sample-videos/clips', c) } });
  return out;
}

/** Write `ds` through the proxy at `base` with `_bulk` (429s sent again). */
export async function ingest(base: string, ds: Doc[], chunk = 6): Promise<number> {
  let todo = ds;
  let failed = 0;
  for (let round = 0; todo.length && round < 8; round++) {
    const again: Doc[] = [];
    for (let at = 0; at < todo.length; at += chunk) {
      const part = todo.slice(at, at + chunk);
      const nd = part.map((d) => `${JSON.stringify({ index: { _index: d.index, _id: d.id } })}\n${JSON.stringify(d.body)}\n`).join('');
      const r = await fetch(`${base}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
      const j = (await r.json()) as { items?: Array<Record<string, { status: number; error?: unknown }>> };
      if (!j.items) {
        console.log('bulk', r.status, JSON.stringify(j).slice(0, 300));
        failed += part.length;
        continue;
      }
      j.items.forEach((it, i) => {
        const v = Object.values(it)[0]!;
        if (v.status === 429) again.push(part[i]!);
        else if (v.status >= 300) {
          failed++;
          console.log(base, part[i]!.id, JSON.stringify(v.error).slice(0, 300));
        }
      });
    }
    todo = again;
  }
  return failed + todo.length;
}

export interface Hit {
  id: string;
  score: number;
}
export async function search(base: string, index: string, text: string | undefined, extra: Record<string, unknown> = {}, vl: Record<string, unknown> = {}): Promise<{ status: number; hits: Hit[]; body: any; headers: Headers }> {
  const body = { size: 10, ...extra, ext: { vlrerank: { ...(text !== undefined ? { query: { text } } : {}), ...vl } } };
  const r = await fetch(`${base}/${index}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const j = (await r.json()) as any;
  return { status: r.status, hits: (j.hits?.hits ?? []).map((h: any) => ({ id: h._id, score: h._score })), body: j, headers: r.headers };
}

/** Every counter of a build's /metrics whose name starts with one of `prefixes`, summed by series. */
export async function metrics(base: string, prefixes = ['vlrerank_model_runs_total', 'vlrerank_record_write_back_total', 'vlrerank_feature_store_errors_total', 'vlrerank_feature_records_total']): Promise<Record<string, number>> {
  const t = await (await fetch(`${base}/_vlrerank/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of t.split('\n')) {
    if (line.startsWith('#')) continue;
    if (!prefixes.some((p) => line.startsWith(p))) continue;
    const at = line.lastIndexOf(' ');
    out[line.slice(0, at)] = Number(line.slice(at + 1));
  }
  return out;
}
export function delta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const d: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const v = (b[k] ?? 0) - (a[k] ?? 0);
    if (v) d[k.replace(/^vlrerank_/, '')] = v;
  }
  return d;
}

/** The raw stored feature record and signature of one document, read from the engine. */
export async function rawRecord(index: string, id: string): Promise<{ key?: string; record?: any }> {
  const r = await fetch(`${ES}/${index}/_doc/${encodeURIComponent(id)}?stored_fields=vlrerank_features&docvalue_fields=vlrerank_features_key`);
  const j = (await r.json()) as any;
  const b64 = j.fields?.vlrerank_features?.[0];
  let record: any;
  if (b64) {
    const buf = Buffer.from(b64, 'base64');
    for (const f of [inflateRawSync, inflateSync, (x: Buffer) => x]) {
      try {
        record = JSON.parse(f(buf).toString('utf8'));
        break;
      } catch {}
    }
  }
  return { key: j.fields?.vlrerank_features_key?.[0], record };
}

export const fmt = (hs: Hit[]) => hs.map((h) => `${h.id}:${h.score}`).join(' ');
export function differ(a: Hit[], b: Hit[]): string {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.id !== b[i]!.id) return `rank ${i + 1}: ${a[i]!.id}(${a[i]!.score}) vs ${b[i]!.id}(${b[i]!.score})`;
    if (Math.abs(a[i]!.score - b[i]!.score) > 2e-6) return `rank ${i + 1} ${a[i]!.id}: ${a[i]!.score} vs ${b[i]!.score}`;
  }
  return '';
}
