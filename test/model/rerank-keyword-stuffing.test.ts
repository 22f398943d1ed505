/**
 * Keyword stuffing does not lift a document (held-out probe round 26b, src/rerank/repeats.ts): a word
 * or a phrase repeated four or more times in a row counts as written once. Before, "Banana" × 20 in
 * front of a garlic listing scored 0.886 for "banana" (0.472 with the word once, the banana itself
 * 0.891), and a SciFact claim pasted 30 times after an unrelated abstract 0.812 (0.318 once), above
 * the abstracts that answer it; with chunking on, the pasted claims made a chunk of their own.
 * Real models; the documents are built here from ../shared/data.
 */
import { afterAll, expect, it } from 'vitest';
import { jsonl, testReranker } from '../helpers/reranker.js';

const reranker = testReranker();
const chunked = testReranker({ chunking: { overlap: 128, aggregate: 'max' } });
afterAll(() => Promise.all([reranker.close(), chunked.close()]));

type Product = { class_name: string; title: string; description: string };
const catalog = jsonl<Product>('grocery-store-products/catalog.jsonl');
const listing = (name: string) => catalog.find((c) => c.class_name === name)!;
const text = (p: Product, title = p.title) => `${title}\n${p.description}`;

it('a listing stuffed with a product name scores as with the name once, below the product', { timeout: 300_000 }, async () => {
  const banana = listing('Banana');
  const garlic = listing('Garlic');
  const documents = [
    text(banana),
    text(garlic, `${'Banana '.repeat(20)}${garlic.title}`),
    text(garlic, `Banana ${garlic.title}`),
    text(garlic, `${'Banana, banana, BANANA! '.repeat(5)}${garlic.title}`),
    text(garlic, `${garlic.title} ${'organic banana '.repeat(8)}`.trim()),
    text(garlic, `Banana, ${garlic.title}`),
  ];
  for (const query of ['banana', 'organic banana']) {
    const out = await reranker.process({ query, documents });
    const score = (i: number) => out.find((r) => r.index === i)!.score;
    const why = `${query}: ${out.map((r) => `${r.index}:${r.score}`).join(' ')}`;
    // before: 0.886 for the stuffed listing against 0.472 once, the banana 0.891
    expect(score(1), why).toBe(score(2));
    expect(score(3), why).toBe(score(5)); // the run's first word as written, its comma too
    expect(score(0), why).toBeGreaterThan(score(1));
    expect(score(0), why).toBeGreaterThan(score(4));
  }
});

type Doc = { _id: string; title: string; text: string };
const corpus = jsonl<Doc>('scifact-beir/corpus.jsonl');
const claims = new Map(jsonl<{ _id: string; text: string }>('scifact-beir/queries.jsonl').map((q) => [q._id, q.text]));

it('a claim pasted many times after an unrelated abstract counts once, with and without chunks', { timeout: 300_000 }, async () => {
  // claim 36 and its answer 5152028 (qrels/test.tsv); an abstract about something else
  const claim = claims.get('36')!;
  const answer = corpus.find((d) => d._id === '5152028')!;
  const other = corpus[1003]!;
  const documents = [`${answer.title}\n${answer.text}`, `${other.title}\n${other.text}\n\n${`${claim} `.repeat(30)}`, `${other.title}\n${other.text}\n\n${claim}`];
  for (const r of [reranker, chunked]) {
    const out = await r.process({ query: claim, documents, explain: true });
    const score = (i: number) => out.find((x) => x.index === i)!.score;
    const why = out.map((x) => `${x.index}:${x.score} ${JSON.stringify(x.explanation?.signals[0]?.detail ?? {})}`).join(' | ');
    // before: 0.812 pasted against 0.318 once
    expect(score(1), why).toBe(score(2));
    expect(score(0), why).toBeGreaterThan(score(1));
  }
});

it('a record made of a stuffed text is current for it and scores it as computed afresh', { timeout: 300_000 }, async () => {
  const garlic = listing('Garlic');
  const doc = { text: text(garlic, `${'Banana '.repeat(20)}${garlic.title}`) };
  const [record] = (await reranker.records([doc])).records;
  expect(await reranker.recordCovers(record, doc)).toBe(true);
  const fresh = await reranker.process({ query: 'banana', documents: [doc] });
  const stored = await reranker.process({ query: 'banana', documents: [doc] }, { records: [record] });
  expect(stored[0]!.score).toBe(fresh[0]!.score);
  expect(stored.usage.records?.used).toBe(1);
});
