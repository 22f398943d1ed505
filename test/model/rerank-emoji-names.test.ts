/**
 * A text of emoji is read by their names (held-out probe round 28b, src/rerank/emoji-names.ts): the
 * text model's vocabulary has no emoji, so the banana titled `🍌🍌🍌` scored 0.173 for "banana"
 * against 0.684 for its photo alone, its title three unknown tokens. Documents and queries alike;
 * a record made of such a text the old way is not current for it (its text is keyed as read), one
 * of a text without emoji keeps its key. Real models, the Grocery banana and milk photos.
 */
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { contentId } from '../../src/features/record/index.js';
import { testReranker } from '../helpers/reranker.js';
import { GROCERY_DIR } from '../helpers/search-fixtures.js';

const reranker = testReranker();
afterAll(() => reranker.close());
const G = join(GROCERY_DIR, 'iconic-images-and-descriptions');
const BANANA = join(G, 'Fruit/Banana/Banana_Iconic.jpg');
const MILK = join(G, 'Packages/Milk/Arla-Standard-Milk/Arla-Standard-Milk_Iconic.jpg');

it('a title of emoji scores as their names, not as unknown tokens', { timeout: 300_000 }, async () => {
  const documents = [{ text: '🍌🍌🍌', image: BANANA }, { text: 'banana banana banana', image: BANANA }, { image: BANANA }, { text: '🥛', image: MILK }];
  const out = await reranker.process({ query: 'banana', documents });
  const score = (i: number) => out.find((r) => r.index === i)!.score;
  const why = out.map((r) => `${r.index}:${r.score}`).join(' ');
  expect(score(0), why).toBe(score(1));
  // before: 0.444 here against 0.993 for the photo alone (0.173 against 0.684 in the grocery pipeline's fusion); now 0.989
  expect(score(0), why).toBeGreaterThan(score(2) - 0.01);
  expect(score(0), why).toBeGreaterThan(score(3));
});

it('a query of emoji reads as its names', { timeout: 300_000 }, async () => {
  const documents = ['Banana', 'Arla Standard Milk', 'Garlic'];
  const byEmoji = await reranker.process({ query: '🍌', documents });
  const byName = await reranker.process({ query: 'banana', documents });
  expect(byEmoji.scores).toEqual(byName.scores);
  expect(byEmoji[0]!.index).toBe(0);
});

it('a record of a text with emoji is keyed by the text as read; a text without keeps its key', { timeout: 300_000 }, async () => {
  const emoji = { text: '🍌🍌🍌' };
  const plain = { text: 'Banana' };
  const { records } = await reranker.records([emoji, plain]);
  const [e, p] = records as Array<{ text: { h: string } }>;
  expect(p!.text.h).toBe(contentId('Banana'));
  expect(e!.text.h).not.toBe(contentId('🍌🍌🍌'));
  expect(await reranker.recordCovers(e, emoji)).toBe(true);
  // a record made the old way (keyed by the emoji as written, their vectors of unknown tokens) is not served
  const old = structuredClone(e!);
  old.text.h = contentId('🍌🍌🍌');
  expect(await reranker.recordCovers(old, emoji)).toBe(false);
  const out = await reranker.process({ query: 'banana', documents: [emoji] }, { records: [old] });
  expect(out.usage.records?.used ?? 0).toBe(0);
});
