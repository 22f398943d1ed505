/**
 * Held-out probe round 31g: helpers — HTTP calls, the round's photos and titles, the reference
 * vectors of each photo (written once, alone, into `p31g-aref`), and the invariant check of a
 * stored document read from the engine directly: its record and vectors describe ITS photo and text.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { contentId, parseRecord, unpackRecord } from '../../src/features/record/index.js';
import { loadPipelines } from '../../src/pipelines/index.js';
import { documentFromSource } from '../../src/pipelines/document.js';
import { documentText } from '../../src/rerank/read-text.js';
import { DATA } from '../../test/helpers/paths.js';

export const BASE = process.env.P31G_BASE ?? 'http://127.0.0.1:19940';
export const ENGINE = process.env.P31G_ENGINE ?? 'http://127.0.0.1:19200';
export const TMP = process.env.P31G_TMP ?? '/tmp/p31g/es';
export const FIELD = 'vlrerank_features';

export type Res = { status: number; text: string; json: any };
export async function call(base: string, method: string, path: string, body?: unknown): Promise<Res> {
  const nd = typeof body === 'string';
  const r = await fetch(`${base}${path}`, { method, headers: body === undefined ? {} : { 'content-type': nd ? 'application/x-ndjson' : 'application/json' }, body: body === undefined ? undefined : nd ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, text, json };
}

const root = join(DATA, 'grocery-store-products');
const rows = readFileSync(join(root, 'catalog.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { title: string; description: string; iconic_image: string });
/** 12 photos of different products, and titles that are not theirs (a race mixes them). */
export const PHOTOS = rows.filter((_, i) => i % 7 === 0).slice(0, 12).map((r) => join(root, r.iconic_image));
export const TITLES = rows.filter((_, i) => i % 7 === 3).slice(0, 12).map((r) => r.title);
export const DESCRIPTION = 'a product of the racing catalog';

export const pipelines = () => loadPipelines(join(TMP, 'pipes'));
export const pipeline = (name: string) => pipelines().find((p) => p.name === name)!;

const cos = (a: number[], b: number[]) => {
  let d = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    x += a[i]! * a[i]!;
    y += b[i]! * b[i]!;
  }
  return d / Math.sqrt(x * y);
};

/** Each photo's vectors as a lone write through the proxy stores them (`p31g-aref`, id = photo number). */
export async function referenceVectors(): Promise<Map<string, { image: number[]; bridge: number[] }>> {
  const lines = PHOTOS.map((p, i) => `${JSON.stringify({ index: { _index: 'p31g-aref', _id: String(i) } })}\n${JSON.stringify({ title: 'reference', description: DESCRIPTION, image: p })}\n`).join('');
  const w = await call(BASE, 'POST', '/_bulk?refresh=true', lines);
  if (w.status !== 200 || w.json.errors) throw new Error(`reference write ${w.status} ${w.text.slice(0, 300)}`);
  const out = new Map<string, { image: number[]; bridge: number[] }>();
  for (let i = 0; i < PHOTOS.length; i++) {
    const g = await call(ENGINE, 'GET', `/p31g-aref/_doc/${i}`);
    out.set(PHOTOS[i]!, { image: g.json._source.image_vector, bridge: g.json._source.image_text_vector });
  }
  return out;
}

export type Violations = Record<string, number>;
export const bump = (v: Violations, k: string, n = 1) => void (v[k] = (v[k] ?? 0) + n);

/**
 * The stored document (engine read directly): record parts and vectors of its own photo and text.
 * A document without a record counts `no record` (backfill's to add), never as a mismatch.
 */
export async function checkStored(index: string, id: string, pipelineName: string, refs: Map<string, { image: number[]; bridge: number[] }>, v: Violations, detail: string[]): Promise<any> {
  const g = await call(ENGINE, 'GET', `/${index}/_doc/${encodeURIComponent(id)}?stored_fields=${FIELD}&_source=true`);
  if (g.status === 404) return undefined;
  const src = g.json._source;
  const d = documentFromSource(src, pipeline(pipelineName))!;
  const raw = g.json.fields?.[FIELD];
  const { record } = raw === undefined ? { record: undefined } : parseRecord(unpackRecord(Array.isArray(raw) ? raw[0] : raw));
  if (!record) bump(v, 'no record (info)');
  else {
    if (d.image !== undefined && record.image?.r !== contentId(d.image)) {
      bump(v, 'VIOLATION record image is another write\'s photo');
      detail.push(`${index}/${id} record image ≠ ${src.image}`);
    }
    if (d.text !== undefined && record.text?.h !== contentId(documentText(d.text))) {
      bump(v, 'VIOLATION record text is another write\'s text');
      detail.push(`${index}/${id} record text ≠ "${src.title}"`);
    }
  }
  const ref = refs.get(src.image);
  if (ref) {
    if (!src.image_vector || cos(src.image_vector, ref.image) < 0.999) {
      bump(v, 'VIOLATION image_vector is not its photo\'s');
      detail.push(`${index}/${id} image_vector ${src.image_vector ? cos(src.image_vector, ref.image).toFixed(4) : 'missing'}`);
    }
    if (!src.image_text_vector || cos(src.image_text_vector, ref.bridge) < 0.999) bump(v, 'VIOLATION image_text_vector is not its photo\'s');
  }
  return g.json;
}

export async function metric(base: string, name: string): Promise<number> {
  const t = await (await fetch(`${base}/_vlrerank/metrics`)).text();
  return t
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
}

export const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
