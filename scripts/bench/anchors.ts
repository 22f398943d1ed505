/**
 * Issue 14 "Measured": every quality anchor through the library (Reranker.process with `explain`),
 * next to the anchor computed from the very same raw signal values, so a gap is the fusion's or the
 * calibration's, never the models':
 *   coco     all 1,195 COCO-mini captions → 239 photos (photo-only documents); the signal split into its
 *            two halves (visual passage, ConSE) against the Python figures of ../shared/ZERO-SHOT-BRIDGE.md
 *   grocery  81 products as mixed documents (text + catalog photo): description → (title + photo),
 *            title → (description + photo), shopper words (the product's name, "oat milk") →
 *            (title. description + photo); graded: the product 2, same coarse class 1.
 *            Anchor: the reference's raw-cosine 0.5/0.5 fusion, 0.5·cos(q, text) + 0.5·cos(q, photo's bridge vector)
 *   videos   each Intel clip's label → all 37 clips (video only, 1 fps, ≤ 16 frames as videos.yaml; the
 *            reference sampled ≤ 32): ours against the raw mean-pooled cosine
 *   coco-mixed  COCO photos with their first caption (text + photo documents, as the demo index) ← captions #2–#5
 *   skimage  the 8 descriptions → their own photo among the 8 (goal 8/8, Python anchor 7/8)
 * Fusions compared on the same raw values: `process()` default (calibrated mean, weights 1:1), the
 * anchor, the logit-space mean (logistic of the mean of the signals' calibrated logits) and the
 * shipped grocery pipeline's raw fusion.
 *   npx tsx scripts/bench/anchors.ts [--sets coco,grocery,videos,skimage] [--out DIR] [--max-frames 16] [--ocr]
 * `--ocr`: the documents' photos are OCRed too (the `ocr_text` signal's raw values are kept beside the others).
 * Raw values are kept in DIR (default .cache/anchors/<set>.json) for offline fits.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Reranker } from '../../src/rerank/reranker.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';
import { catalog, productImage } from '../../test/helpers/grocery.js';
import { jsonl } from '../../test/helpers/reranker.js';
import { collectSet, fusionsReport, type AnchorQuery, type AnchorSet } from '../../test/helpers/anchors.js';

const argv = process.argv.slice(2);
const flag = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
const sets = (flag('--sets') ?? 'grocery,videos,skimage,coco').split(',');
const outDir = flag('--out') ?? '.cache/anchors';
mkdirSync(outDir, { recursive: true });
const reranker = new Reranker({ modelsDir: MODELS, device: 'cpu', mediaRoots: [DATA] });

function grocerySets(): AnchorSet[] {
  const products = catalog();
  const rel = (p: (typeof products)[number]) => new Map(products.filter((o) => o.coarse_class_id === p.coarse_class_id).map((o) => [String(o.class_id), o.class_id === p.class_id ? 2 : 1]));
  const docs = (text: (p: (typeof products)[number]) => string | undefined) =>
    products.map((p) => ({ id: String(p.class_id), doc: { ...(text(p) ? { text: text(p) } : {}), image: productImage(p) } }));
  const q = (f: (p: (typeof products)[number]) => string | null | undefined): AnchorQuery[] =>
    products.filter((p) => f(p)).map((p) => ({ text: f(p)!, rel: rel(p) }));
  return [
    { name: 'grocery-descriptions', documents: docs((p) => p.title), queries: q((p) => p.description) },
    { name: 'grocery-titles', documents: docs((p) => p.description ?? undefined), queries: q((p) => p.title) },
    { name: 'grocery-shopper-words', documents: docs((p) => `${p.title}. ${p.description ?? ''}`.trim()), queries: q((p) => p.class_name.replace(/-/g, ' ').toLowerCase()) },
  ];
}

function videoSet(): AnchorSet {
  const clips = jsonl<{ file: string; label: string }>('intel-sample-videos/videos.jsonl');
  const labels = [...new Set(clips.map((c) => c.label))];
  return {
    name: 'videos-labels',
    documents: clips.map((c) => ({ id: c.file, doc: { video: `intel-sample-videos/${c.file}`, fps: 1, max_frames: Number(flag('--max-frames') ?? 16) } })),
    queries: labels.map((l) => ({ text: l, rel: new Map(clips.filter((c) => c.label === l).map((c) => [c.file, 1])) })),
  };
}

function skimageSet(): AnchorSet {
  const rows = jsonl<{ image: string; name: string; description: string }>('skimage-clip-smoke/descriptions.jsonl');
  return {
    name: 'skimage',
    documents: rows.map((r) => ({ id: r.name, doc: { image: `skimage-clip-smoke/${r.image}` } })),
    queries: rows.map((r) => ({ text: r.description, rel: new Map([[r.name, 1]]) })),
  };
}

function cocoSet(): AnchorSet {
  const rows = jsonl<{ image: string; coco_id: number; captions: string[] }>('coco-captions-mini/captions.jsonl');
  return {
    name: 'coco',
    documents: rows.map((r) => ({ id: String(r.coco_id), doc: { image: `coco-captions-mini/${r.image}` } })),
    queries: rows.flatMap((r) => r.captions.map((c) => ({ text: c, rel: new Map([[String(r.coco_id), 1]]) }))),
  };
}

/** COCO photos with their first caption as alt text (as the demo index holds them); captions #2–#5 are the queries. */
function cocoMixedSet(): AnchorSet {
  const rows = jsonl<{ image: string; coco_id: number; captions: string[] }>('coco-captions-mini/captions.jsonl');
  return {
    name: 'coco-mixed',
    documents: rows.map((r) => ({ id: String(r.coco_id), doc: { text: r.captions[0]!, image: `coco-captions-mini/${r.image}` } })),
    queries: rows.flatMap((r) => r.captions.slice(1).map((c) => ({ text: c, rel: new Map([[String(r.coco_id), 1]]) }))),
  };
}

const all: AnchorSet[] = [
  ...(sets.includes('grocery') ? grocerySets() : []),
  ...(sets.includes('videos') ? [videoSet()] : []),
  ...(sets.includes('skimage') ? [skimageSet()] : []),
  ...(sets.includes('coco') ? [cocoSet()] : []),
  ...(sets.includes('coco-mixed') ? [cocoMixedSet()] : []),
];
for (const set of all) {
  const t0 = performance.now();
  const collected = await collectSet(reranker, set, { ocr: argv.includes('--ocr') });
  writeFileSync(join(outDir, `${set.name}.json`), JSON.stringify(collected));
  process.stdout.write(`${set.name}: ${set.queries.length} queries → ${set.documents.length} documents (${((performance.now() - t0) / 1000).toFixed(0)} s)\n${fusionsReport(collected)}\n`);
}
await reranker.close();
