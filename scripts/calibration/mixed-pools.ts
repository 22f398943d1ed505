/**
 * Mixed-modality calibration pools from the public sets in ../shared/data (issue 14 §4): for each
 * query, documents of several modalities, each labelled relevant or not, so that a text, a photo
 * and a clip that are equally relevant can be fitted and checked against the same standard.
 *
 *   coco      caption #1 of a photo → another caption of the same photo (text, relevant) and the
 *             photo itself (relevant); other photos, other photos' captions and clips (not)
 *   video     an Intel scene clip's label → the clip (and its full-length version, relevant); other
 *             clips whose labels share no word with it, COCO photos and captions that mention none
 *             of its words (nor people, for a label about people) (not). ASL sign clips are left out:
 *             a sign for "bird" does not show a bird.
 *   scifact   a SciFact *train* claim → its qrels abstracts (relevant); BM25 top-100 non-relevant
 *             abstracts, COCO photos and a clip (not)
 *   grocery   a product's title + description → its catalog photo (relevant); other products' photos
 *             and descriptions (not, other classes only)
 *   skimage   a photo's description → the photo (relevant); the other skimage photos, COCO captions
 *             and a clip (not). Never fitted on: the "rocket" check of CALIBRATION.md lives here.
 * A photo or a clip as the query (the image_text and video_text signals, search by image):
 *   coco-photo     a COCO photo → two of its captions (relevant); other photos and other photos'
 *                  captions (not)
 *   grocery-photo  an in-store shelf photo (the first two of each product) → the product's catalog
 *                  photo and its title + description (relevant); other products' photos and
 *                  descriptions (not)
 *   video-clip     an Intel scene clip → its label (and its full-length video, relevant); other
 *                  clips' labels that share no word with it, other clips and COCO photos (not)
 * These come after the text-query pools and draw from their own seeded generator, so the
 * text-query pools are the same as before they were added.
 * No data set is special-cased beyond choosing which of its items are the pool's documents.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import MiniSearch from 'minisearch';

export type Modality = 'text' | 'image' | 'video';
export interface PoolDoc {
  id: string;
  modality: Modality;
  rel: 0 | 1;
  /** the document as process() takes it */
  doc: Record<string, unknown>;
  /** raw signal values from process(…, {explain: true}), filled by the collector */
  raw?: Record<string, number>;
}
export interface Pool {
  id: string;
  set: 'coco' | 'video' | 'scifact' | 'grocery' | 'skimage' | 'coco-photo' | 'grocery-photo' | 'video-clip';
  /** a text query, or (the *-photo and *-clip sets) a photo or a clip as the query */
  query: { text?: string; image?: string; video?: string };
  docs: PoolDoc[];
}

/** mulberry32: a small seeded RNG so the pools are the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const jsonl = <T>(f: string): T[] =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

const STOP = new Set(['a', 'an', 'the', 'and', 'of', 'on', 'in', 'with', 'to', 'at', 'by', 'detection', 'multi', 'size', 'one']);
const PEOPLE = ['person', 'people', 'man', 'men', 'woman', 'women', 'boy', 'girl', 'child', 'children', 'kid', 'player', 'face', 'guy', 'lady', 'worker', 'student', 'someone', 'he', 'she', 'they', 'skier', 'surfer', 'rider'];
const PEOPLE_LABEL = /person|people|face|head|worker|classroom|demographics|walking|store/;
const words = (s: string) => s.toLowerCase().split(/[^a-z]+/).filter((w) => w && !STOP.has(w));

export function buildPools(data: string, options: { seed?: number; quick?: boolean; textOnly?: boolean } = {}): Pool[] {
  const rand = rng(options.seed ?? 20261202);
  const pick = <T>(xs: T[], n: number, ok: (x: T) => boolean = () => true): T[] => {
    const pool = xs.filter(ok);
    const out = new Set<T>();
    while (out.size < Math.min(n, pool.length)) out.add(pool[Math.floor(rand() * pool.length)]!);
    return [...out];
  };
  const pools: Pool[] = [];
  const coco = jsonl<{ image: string; coco_id: number; captions: string[] }>(join(data, 'coco-captions-mini/captions.jsonl'));
  const cocoImg = (r: (typeof coco)[number]): PoolDoc => ({ id: `coco:${r.coco_id}`, modality: 'image', rel: 0, doc: { image: join(data, 'coco-captions-mini', r.image) } });
  const cocoCap = (r: (typeof coco)[number], k: number): PoolDoc => ({ id: `coco:${r.coco_id}#${k}`, modality: 'text', rel: 0, doc: { text: r.captions[k]! } });
  const videos = jsonl<{ file: string; kind: string; label: string }>(join(data, 'intel-sample-videos/videos.jsonl')).filter((v) => v.kind !== 'asl_gesture');
  const clip = (v: (typeof videos)[number]): PoolDoc => ({ id: `video:${v.file}`, modality: 'video', rel: 0, doc: { video: join(data, 'intel-sample-videos', v.file) } });
  const clips = videos.filter((v) => v.kind === 'scene_preview_clip');
  const rel = (d: PoolDoc): PoolDoc => ({ ...d, rel: 1 });

  const cocoN = options.quick ? 40 : coco.length;
  for (const r of coco.slice(0, cocoN)) {
    const others = pick(coco, 6, (o) => o !== r);
    pools.push({
      id: `coco:${r.coco_id}`,
      set: 'coco',
      query: { text: r.captions[0]! },
      docs: [rel(cocoCap(r, 1)), rel(cocoImg(r)), ...others.slice(0, 3).map(cocoImg), ...others.slice(3).map((o) => cocoCap(o, 2)), ...pick(clips, 2).map(clip)],
    });
  }

  for (const v of clips) {
    const w = new Set(words(v.label));
    const aboutPeople = PEOPLE_LABEL.test(v.label);
    const unrelated = (text: string) => {
      const tw = words(text);
      return !tw.some((x) => w.has(x)) && !(aboutPeople && tw.some((x) => PEOPLE.includes(x)));
    };
    const cocoOk = coco.filter((c) => c.captions.every(unrelated));
    const negPhotos = pick(cocoOk, 6);
    pools.push({
      id: `video:${v.file}`,
      set: 'video',
      query: { text: v.label },
      docs: [
        rel(clip(v)),
        ...videos.filter((o) => o.kind === 'scene_full_video' && o.label === v.label).map((o) => rel(clip(o))),
        ...pick(clips, 3, (o) => !words(o.label).some((x) => w.has(x))).map(clip),
        ...negPhotos.slice(0, 3).map(cocoImg),
        ...negPhotos.slice(3).map((o) => cocoCap(o, 0)),
      ],
    });
  }

  interface Abstract { _id: string; title: string; text: string }
  const corpus = jsonl<Abstract>(join(data, 'scifact-beir/corpus.jsonl'));
  const byId = new Map(corpus.map((d) => [d._id, d]));
  const claims = new Map(jsonl<{ _id: string; text: string }>(join(data, 'scifact-beir/queries.jsonl')).map((q) => [q._id, q.text]));
  const qrels = new Map<string, Set<string>>();
  for (const l of readFileSync(join(data, 'scifact-beir/qrels/train.tsv'), 'utf8').trim().split('\n').slice(1)) {
    const [qid, did] = l.split('\t');
    if (!qrels.has(qid!)) qrels.set(qid!, new Set());
    qrels.get(qid!)!.add(did!);
  }
  const bm25 = new MiniSearch<Abstract>({ idField: '_id', fields: ['title', 'text'], storeFields: [] });
  bm25.addAll(corpus);
  const abs = (id: string, r: 0 | 1): PoolDoc => ({ id: `scifact:${id}`, modality: 'text', rel: r, doc: { text: `${byId.get(id)!.title} ${byId.get(id)!.text}` } });
  for (const qid of [...qrels.keys()].filter((q) => claims.has(q)).slice(0, options.quick ? 20 : 120)) {
    const relIds = qrels.get(qid)!;
    const hits = bm25.search(claims.get(qid)!).slice(0, 100).map((h) => String(h.id));
    pools.push({
      id: `scifact:${qid}`,
      set: 'scifact',
      query: { text: claims.get(qid)! },
      docs: [...[...relIds].filter((id) => byId.has(id)).slice(0, 2).map((id) => abs(id, 1)), ...pick(hits, 4, (id) => !relIds.has(id)).map((id) => abs(id, 0)), ...pick(coco, 2).map(cocoImg), ...pick(clips, 1).map(clip)],
    });
  }

  interface Product { class_id: number; title: string; description: string | null; iconic_image: string }
  const catalog = jsonl<Product>(join(data, 'grocery-store-products/catalog.jsonl'));
  const photo = (p: Product): PoolDoc => ({ id: `grocery:${p.class_id}`, modality: 'image', rel: 0, doc: { image: join(data, 'grocery-store-products', p.iconic_image) } });
  for (const p of catalog.slice(0, options.quick ? 20 : catalog.length)) {
    const others = pick(catalog, 6, (o) => o.class_id !== p.class_id && !!o.description);
    pools.push({
      id: `grocery:${p.class_id}`,
      set: 'grocery',
      query: { text: `${p.title}. ${p.description ?? ''}`.trim() },
      docs: [rel(photo(p)), ...others.slice(0, 4).map(photo), ...others.slice(4).map((o) => ({ id: `grocery:${o.class_id}#d`, modality: 'text' as const, rel: 0 as const, doc: { text: o.description! } }))],
    });
  }

  const sk = jsonl<{ image: string; name: string; description: string }>(join(data, 'skimage-clip-smoke/descriptions.jsonl'));
  const skImg = (s: (typeof sk)[number]): PoolDoc => ({ id: `skimage:${s.name}`, modality: 'image', rel: 0, doc: { image: join(data, 'skimage-clip-smoke', s.image) } });
  for (const s of sk) {
    pools.push({
      id: `skimage:${s.name}`,
      set: 'skimage',
      query: { text: s.description },
      docs: [rel(skImg(s)), ...sk.filter((o) => o !== s).map(skImg), ...pick(coco, 2).map((o) => cocoCap(o, 0)), ...pick(clips, 1).map(clip)],
    });
  }
  if (!options.textOnly) pools.push(...visualQueryPools(data, coco, catalog, videos, options));
  return pools;
}

/** The photo- and clip-query pools (see the header); their own generator, seeded apart. */
function visualQueryPools(
  data: string,
  coco: Array<{ image: string; coco_id: number; captions: string[] }>,
  catalog: Array<{ class_id: number; title: string; description: string | null; iconic_image: string }>,
  videos: Array<{ file: string; kind: string; label: string }>,
  options: { seed?: number; quick?: boolean },
): Pool[] {
  const rand = rng((options.seed ?? 20261202) ^ 0x5eed);
  const pick = <T>(xs: T[], n: number, ok: (x: T) => boolean = () => true): T[] => {
    const pool = xs.filter(ok);
    const out = new Set<T>();
    while (out.size < Math.min(n, pool.length)) out.add(pool[Math.floor(rand() * pool.length)]!);
    return [...out];
  };
  const doc = (id: string, modality: Modality, d: Record<string, unknown>, r: 0 | 1 = 0): PoolDoc => ({ id, modality, rel: r, doc: d });
  const pools: Pool[] = [];
  for (const r of coco.slice(0, options.quick ? 20 : coco.length)) {
    const others = pick(coco, 6, (o) => o !== r);
    pools.push({
      id: `coco-photo:${r.coco_id}`,
      set: 'coco-photo',
      query: { image: join(data, 'coco-captions-mini', r.image) },
      docs: [
        doc(`coco:${r.coco_id}#0`, 'text', { text: r.captions[0]! }, 1),
        doc(`coco:${r.coco_id}#1`, 'text', { text: r.captions[1]! }, 1),
        ...others.slice(0, 3).map((o) => doc(`coco:${o.coco_id}`, 'image', { image: join(data, 'coco-captions-mini', o.image) })),
        ...others.slice(3).map((o) => doc(`coco:${o.coco_id}#2`, 'text', { text: o.captions[2]! })),
      ],
    });
  }
  const root = join(data, 'grocery-store-products');
  const shelf = readFileSync(join(root, 'queries.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')).map(([image, cls]) => ({ image: image!, cls: Number(cls) }));
  const byClass = new Map(catalog.map((p) => [p.class_id, p]));
  const text = (p: (typeof catalog)[number]) => `${p.title}. ${p.description ?? ''}`.trim();
  const perClass = new Map<number, number>();
  for (const q of shelf) {
    const n = perClass.get(q.cls) ?? 0;
    perClass.set(q.cls, n + 1);
    const p = byClass.get(q.cls);
    if (n >= 2 || !p || (options.quick && pools.length >= 40)) continue;
    const others = pick(catalog, 6, (o) => o.class_id !== p.class_id && !!o.description);
    pools.push({
      id: `grocery-photo:${q.image}`,
      set: 'grocery-photo',
      query: { image: join(root, q.image) },
      docs: [
        doc(`grocery:${p.class_id}`, 'image', { image: join(root, p.iconic_image) }, 1),
        doc(`grocery:${p.class_id}#t`, 'text', { text: text(p) }, 1),
        ...others.slice(0, 3).map((o) => doc(`grocery:${o.class_id}`, 'image', { image: join(root, o.iconic_image) })),
        ...others.slice(3).map((o) => doc(`grocery:${o.class_id}#t`, 'text', { text: text(o) })),
      ],
    });
  }
  const vroot = join(data, 'intel-sample-videos');
  const clips = videos.filter((v) => v.kind === 'scene_preview_clip');
  for (const v of clips) {
    const w = new Set(words(v.label));
    const unrelated = clips.filter((o) => o !== v && !words(o.label).some((x) => w.has(x)));
    const labels = [...new Set(unrelated.map((o) => o.label))];
    pools.push({
      id: `video-clip:${v.file}`,
      set: 'video-clip',
      query: { video: join(vroot, v.file) },
      docs: [
        doc(`video:${v.file}#label`, 'text', { text: v.label }, 1),
        ...videos.filter((o) => o.kind === 'scene_full_video' && o.label === v.label).map((o) => doc(`video:${o.file}`, 'video', { video: join(vroot, o.file) }, 1)),
        ...pick(labels, 3).map((l) => doc(`label:${l}`, 'text', { text: l })),
        ...pick(unrelated, 2).map((o) => doc(`video:${o.file}`, 'video', { video: join(vroot, o.file) })),
        ...pick(coco, 2).map((o) => doc(`coco:${o.coco_id}`, 'image', { image: join(data, 'coco-captions-mini', o.image) })),
      ],
    });
  }
  return pools;
}

/** Held-out split by pool (never by pair), fixed seed; skimage pools are always held out. */
export function isHeldOut(pool: Pick<Pool, 'id' | 'set'>, fraction = 0.3): boolean {
  if (pool.set === 'skimage') return true;
  let h = 2166136261;
  for (const c of pool.id) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return rng(h >>> 0)() < fraction;
}
