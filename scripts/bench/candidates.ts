/**
 * The cold benches' candidate sets (bench:rerank, cold-timeline): photos of COCO-mini, Caltech-mini
 * and the Grocery shelf, texts from the COCO captions, handed out so that no candidate repeats
 * within a run (a repeat would be a cache hit, not a cold one).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Doc = { text?: string; image?: string };

/** A generator of fresh candidates over the data folder; texts() also serves queries from the same captions. */
export function candidates(data: string): { freshDocs(n: number): Doc[]; texts: string[]; nextText(): string } {
  const coco = readFileSync(join(data, 'coco-captions-mini/captions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { image: string; captions: string[] });
  const caltech = readFileSync(join(data, 'caltech101-mini/labels.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => `caltech101-mini/${l.split('\t')[0]}`);
  const grocery = readFileSync(join(data, 'grocery-store-products/queries.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => `grocery-store-products/${l.split('\t')[0]}`);
  const images = [...coco.map((c) => `coco-captions-mini/${c.image}`), ...caltech, ...grocery];
  const texts = coco.flatMap((c) => c.captions);
  let ni = 0;
  let nt = 0;
  const nextText = () => texts[nt++ % texts.length]!;
  const nextImage = () => images[ni++ % images.length]!;
  return {
    texts,
    nextText,
    /** n fresh candidates: 45% photo, 45% text, 10% photo + text; never repeated within the run. */
    freshDocs: (n) =>
      Array.from({ length: n }, (_, i) => {
        const k = i % 10;
        if (k === 9) return { text: nextText(), image: nextImage() };
        return k < 4 ? { image: nextImage() } : { text: nextText() };
      }),
  };
}
