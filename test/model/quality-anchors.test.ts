/**
 * Quality anchors (issue 14 "Measured"): documents with both text and a photo, ranked by
 * Reranker.process(), must stay at the reference's raw-cosine 0.5/0.5 fusion of the same two
 * signals (../shared/ZERO-SHOT-BRIDGE.md, "Documents with both text and image"), computed here from
 * the very raw values the reranker reports (`explain`), so the models' own noise cannot fail it —
 * only the fusion and the calibration can. All 81 Grocery products as text + catalog photo, three
 * full query sets (~1 min on 2 cores): description → (title + photo), title → (description + photo),
 * the product's name ("oatly oat milk") → (title. description + photo); graded: the product 2, the
 * same coarse class 1.
 *
 * Measured (models/CALIBRATION.md, "Quality anchors"), nDCG@10 process() / anchor: descriptions
 * 0.807 / 0.805, titles 0.848 / 0.851, names 0.918 / 0.914 with the bridge weighing 0.4 against the
 * text; with it at 1 (the previous default) 0.765 / 0.822 / 0.883, 0.03–0.04 below the anchor on every
 * set, which the bound below does not allow. MRR is printed, not bounded: with the fitted weight it is
 * above the anchor's on descriptions (0.753 / 0.748) and 0.008–0.009 below on titles and names (it
 * follows the one product's rank alone; nDCG@10, the issue's figure, its whole coarse class too).
 */
import { afterAll, expect, it } from 'vitest';
import { catalog, productImage, type Product } from '../helpers/grocery.js';
import { testReranker } from '../helpers/reranker.js';
import { collectSet, figures, FUSIONS, type AnchorQuery, type AnchorSet } from '../helpers/anchors.js';

/** How far below the anchor a set may fall: the int8 text model's batch noise, not a lost fusion. */
const MARGIN = 0.01;

const reranker = testReranker();
afterAll(() => reranker.close());

const products = catalog();
const rel = (p: Product) => new Map(products.filter((o) => o.coarse_class_id === p.coarse_class_id).map((o) => [String(o.class_id), o.class_id === p.class_id ? 2 : 1]));
const docs = (text: (p: Product) => string | null) => products.map((p) => ({ id: String(p.class_id), doc: { ...(text(p) ? { text: text(p)! } : {}), image: productImage(p) } }));
const queries = (f: (p: Product) => string | null): AnchorQuery[] => products.filter((p) => f(p)).map((p) => ({ text: f(p)!, rel: rel(p) }));

const sets: AnchorSet[] = [
  { name: 'descriptions', documents: docs((p) => p.title), queries: queries((p) => p.description) },
  { name: 'titles', documents: docs((p) => p.description), queries: queries((p) => p.title) },
  { name: 'product names', documents: docs((p) => `${p.title}. ${p.description ?? ''}`.trim()), queries: queries((p) => p.class_name.replace(/-/g, ' ').toLowerCase()) },
];

it.each(sets)('Grocery $name → text + photo products: process() not below the raw-cosine 0.5/0.5 anchor (beyond 0.01)', { timeout: 600_000 }, async (set) => {
  const collected = await collectSet(reranker, set);
  const ours = figures(collected, FUSIONS['process() (shipped default)']!);
  const anchor = figures(collected, FUSIONS['anchor: raw cosines 0.5/0.5']!);
  console.log(`Grocery ${set.name} (${ours.n} queries → 81 text + photo products) nDCG@10 / MRR: process() ${ours.ndcg10.toFixed(3)} / ${ours.mrr.toFixed(3)}, anchor ${anchor.ndcg10.toFixed(3)} / ${anchor.mrr.toFixed(3)}`);
  expect(ours.n).toBeGreaterThan(60);
  expect(ours.ndcg10).toBeGreaterThanOrEqual(anchor.ndcg10 - MARGIN);
});
