/**
 * Comparable scores across modalities (issue 14 §4), on real weights and public data: held-out
 * COCO-mini pools (scripts/calibration/mixed-pools.ts, never fitted on) — a caption as the query,
 * another caption of the same photo (relevant text), the photo (relevant photo), three other photos
 * and three other photos' captions (irrelevant) — scored by Reranker.process with the shipped
 * calibration. Fails when a relevant text sits below an irrelevant photo (or a relevant photo below
 * an irrelevant text) more often than the measured rate allows. The bound is set from the fit's
 * held-out figures (models/CALIBRATION.md, "Comparable across modalities"), with a margin for the
 * int8 text model's batch noise; the own-modality calibration it replaced inverts far more often.
 */
import { afterAll, expect, it } from 'vitest';
import { buildPools, isHeldOut } from '../../scripts/calibration/mixed-pools.js';
import { inversions, scorePools, type Scored } from '../../scripts/calibration/metrics.js';
import { DATA } from '../helpers/paths.js';
import { testReranker } from '../helpers/reranker.js';

const POOLS = 24;
/**
 * Measured on these 24 pools from the fit's collected raw values: a relevant caption below an
 * irrelevant photo in 0.083 of the 72 pairs with the shipped table, 0.222 with the own-modality
 * table it replaced (0.111 vs 0.257 over all 57 held-out COCO pools; blocks of 12 pools range
 * 0.056–0.194 vs 0.222–0.333). A relevant photo below an irrelevant caption: 0 with either.
 */
const MAX_TEXT_BELOW_PHOTO = 0.15;
const MAX_PHOTO_BELOW_TEXT = 0.05;

const reranker = testReranker();
afterAll(() => reranker.close());

it('a relevant caption rarely sits below an irrelevant photo, nor a relevant photo below an irrelevant caption', { timeout: 900_000 }, async () => {
  const pools = buildPools(DATA)
    .filter((p) => p.set === 'coco' && isHeldOut(p))
    .slice(0, POOLS)
    .map((p) => ({ ...p, docs: p.docs.filter((d) => d.modality !== 'video') }));
  expect(pools).toHaveLength(POOLS);
  const scored: Scored[] = [];
  for (const p of pools) {
    const out = await reranker.process({ query: p.query, documents: p.docs.map((d) => d.doc) });
    for (const r of out) scored.push({ pool: p.id, set: p.set, modality: p.docs[r.index]!.modality, rel: p.docs[r.index]!.rel, score: r.score });
  }
  const inv = inversions(scored).by;
  expect(inv['text>image']!.pairs).toBe(POOLS * 3);
  expect(inv['text>image']!.rate).toBeLessThanOrEqual(MAX_TEXT_BELOW_PHOTO);
  expect(inv['image>text']!.rate).toBeLessThanOrEqual(MAX_PHOTO_BELOW_TEXT);
});

/**
 * A relevant text against an irrelevant clip, on every held-out text-query pool that holds both
 * (COCO: another caption of the photo vs two clips; SciFact: the claim's abstracts vs a clip), the
 * whole pool scored as collected. Measured from the collected raw values (139 pairs): 0.115 with
 * the shipped text_video curve (fitted with the text_image pairs, a clip being scored as its frames
 * are), 0.158 with the curve fitted on the 13 relevant clips alone, which put p = 0.5 lower than
 * for a photo. The bound sits between them (18 of 139 pairs).
 */
const MAX_TEXT_BELOW_CLIP = 0.13;

it('a relevant text rarely sits below an irrelevant clip', { timeout: 900_000 }, async () => {
  const pools = buildPools(DATA, { textOnly: true }).filter(
    (p) => isHeldOut(p) && p.set !== 'skimage' && p.docs.some((d) => d.rel === 1 && d.modality === 'text') && p.docs.some((d) => d.modality === 'video'),
  );
  const scored: Scored[] = [];
  for (const p of pools) {
    const out = await reranker.process({ query: p.query, documents: p.docs.map((d) => d.doc), fps: 1, max_frames: 8 });
    for (const r of out) scored.push({ pool: p.id, set: p.set, modality: p.docs[r.index]!.modality, rel: p.docs[r.index]!.rel, score: r.score });
  }
  const inv = inversions(scored).by['text>video']!;
  expect(inv.pairs).toBe(139);
  expect(inv.rate).toBeLessThanOrEqual(MAX_TEXT_BELOW_CLIP);
});

/**
 * A photo as the query (issue 14 §4, photo-query pools): a relevant text (a caption of the photo,
 * the product's title + description) is scored by image_text, an irrelevant photo by image_image,
 * and where the two curves sit against each other trades one direction of inversion for the other.
 * Measured on these 119 held-out pools from the collected raw values (models/CALIBRATION.md,
 * "Photo queries: the curves are at the separability limit"): shipped table 0.144 of 549
 * (relevant text below an irrelevant photo) and 0.079 of 165 (relevant photo below an irrelevant
 * text); image_image's curve moved by −0.5 in logit (what a fit that lowers the first rate does)
 * 0.115 and 0.133; by +0.5, 0.186 and 0.018. No curve fitted on the public pools lowers one rate
 * without raising the other beyond the noise, so both are bounded: a refit that buys one direction
 * with the other fails here. The second half checks that the bounds do catch such a shift.
 */
const MAX_PHOTO_QUERY_TEXT_BELOW_PHOTO = 0.16;
const MAX_PHOTO_QUERY_PHOTO_BELOW_TEXT = 0.1;

it('a photo query: neither a relevant text below an irrelevant photo nor the reverse is bought with the other', { timeout: 900_000 }, async () => {
  const pools = buildPools(DATA).filter((p) => (p.set === 'coco-photo' || p.set === 'grocery-photo') && isHeldOut(p));
  expect(pools).toHaveLength(119);
  const scored: Scored[] = [];
  for (const p of pools) {
    const out = await reranker.process({ query: p.query, documents: p.docs.map((d) => d.doc), explain: true });
    for (const r of out) {
      const d = p.docs[r.index]!;
      d.raw = Object.fromEntries((r.explanation?.signals ?? []).filter((s) => Number.isFinite(s.raw)).map((s) => [s.name, s.raw!]));
      scored.push({ pool: p.id, set: p.set, modality: d.modality, rel: d.rel, score: r.score });
    }
  }
  const within = (by: ReturnType<typeof inversions>['by']) =>
    by['text>image']!.rate <= MAX_PHOTO_QUERY_TEXT_BELOW_PHOTO && by['image>text']!.rate <= MAX_PHOTO_QUERY_PHOTO_BELOW_TEXT;
  const inv = inversions(scored).by;
  expect(inv['text>image']!.pairs).toBe(549);
  expect(inv['image>text']!.pairs).toBe(165);
  expect(inv['text>image']!.rate).toBeLessThanOrEqual(MAX_PHOTO_QUERY_TEXT_BELOW_PHOTO);
  expect(inv['image>text']!.rate).toBeLessThanOrEqual(MAX_PHOTO_QUERY_PHOTO_BELOW_TEXT);
  // the same raw values with image_image's curve moved half a logit either way: each breaks one bound
  const shipped = reranker.calibrator.table;
  for (const delta of [-0.5, 0.5]) {
    const moved = { ...shipped, image_image: { ...shipped.image_image!, b: shipped.image_image!.b + delta } };
    expect(within(inversions(scorePools(pools, moved)).by), `image_image moved by ${delta}`).toBe(false);
  }
});

/**
 * The same 119 pools with the query photo's OCR text weighted (`image_ocr_text`, a pipeline or a
 * request weighting it; off by default for its cost). Its curve was borrowed from a text signal
 * (p = 0.5 at cosine 0.71, where OCR text against a product text rarely reaches), so weighting it
 * pulled every text down: a relevant text below an irrelevant photo in 0.293 of the 549 pairs at
 * weight 1 (0.217 at 0.3). Fitted on the photo-query pools (models/CALIBRATION.md, "The query
 * photo's OCR text"), 0.120 at weight 1 — below the 0.144 without OCR — and the reverse unchanged.
 */
const MAX_OCR_TEXT_BELOW_PHOTO = 0.15;

it('a photo query with its OCR text weighted: a relevant text is not pulled below irrelevant photos', { timeout: 900_000 }, async () => {
  const pools = buildPools(DATA).filter((p) => (p.set === 'coco-photo' || p.set === 'grocery-photo') && isHeldOut(p));
  const scored: Scored[] = [];
  for (const p of pools) {
    const out = await reranker.process({ query: p.query, documents: p.docs.map((d) => d.doc), weights: { image_ocr_text: 1 } });
    for (const r of out) scored.push({ pool: p.id, set: p.set, modality: p.docs[r.index]!.modality, rel: p.docs[r.index]!.rel, score: r.score });
  }
  const inv = inversions(scored).by;
  expect(inv['text>image']!.pairs).toBe(549);
  expect(inv['text>image']!.rate).toBeLessThanOrEqual(MAX_OCR_TEXT_BELOW_PHOTO);
  expect(inv['image>text']!.rate).toBeLessThanOrEqual(MAX_PHOTO_QUERY_PHOTO_BELOW_TEXT);
});
