/**
 * A screenshot of a passage scores about as the passage does as text (issue 14 §4, task ocr25).
 * Held-out probe round 22a: 0.566 against 0.969 — a screenshot was scored as a photo, its OCR text
 * weighed 0.3 beside the image bridge's 0.4 ("a photo. web site, menu, book jacket…"), its OCR text
 * read with the words glued and half its lines dropped. Now a document image whose OCR text is a
 * page's worth is scored as that text (src/rerank/signals/ocr-text.ts) and read in words
 * (ocr-words.ts). Real models; the SciFact abstract rendered by librsvg at test time (never kept).
 */
import { afterAll, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA } from '../helpers/paths.js';
import { testReranker } from '../helpers/reranker.js';
import { pagePng } from '../helpers/screenshots.js';

const reranker = testReranker();
afterAll(() => reranker.close());

type Doc = { _id: string; title: string; text: string };
const corpus = new Map(readFileSync(join(DATA, 'scifact-beir', 'corpus.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Doc).map((d) => [d._id, d]));
const asText = (id: string) => `${corpus.get(id)!.title}\n${corpus.get(id)!.text}`;
const asShot = async (id: string) => `data:image/png;base64,${(await pagePng(corpus.get(id)!.title, [corpus.get(id)!.text], 18)).toString('base64')}`;

it('scores a screenshot of the relevant abstract near the abstract as text, above an irrelevant text and photo', { timeout: 600_000 }, async () => {
  // SciFact test claim 3 and its answer 14717500; 13734012 answers claim 5 (irrelevant here)
  const out = await reranker.process({
    query: { text: '1,000 genomes project enables mapping of genetic sequence variation consisting of rare variants with larger penetrance effects than common variants.' },
    documents: [{ text: asText('14717500') }, { image: await asShot('14717500') }, { text: asText('13734012') }, { image: 'coco-captions-mini/images/val2017/000000000139.jpg' }],
    ocr: true,
    explain: true,
  });
  const [text, shot, otherText, photo] = [0, 1, 2, 3].map((i) => out.find((r) => r.index === i)!);
  const why = JSON.stringify(shot!.explanation!.signals);
  // before: 0.895 (text) against 0.423 (screenshot)
  expect(Math.abs(text!.score - shot!.score), why).toBeLessThan(0.1);
  expect(shot!.score, why).toBeGreaterThan(otherText!.score);
  expect(shot!.score, why).toBeGreaterThan(photo!.score);
  const ocr = shot!.explanation!.signals.find((s) => s.name === 'ocr_text')!;
  expect(ocr.weight).toBe(1); // a page of text: scored as text, the bridge weighed 0
  expect(ocr.detail).toEqual({ text_share: 1 });
  expect(shot!.explanation!.signals.find((s) => s.name === 'text_image')!.weight).toBe(0);
});
