/**
 * Emoji read by their Unicode short names (src/rerank/emoji-names.ts, held-out probe round 28b: `🍌🍌🍌`
 * was `[UNK]` × 3 to the text model). A text without emoji is returned as the same string — so no
 * text of the public sets (Grocery, COCO captions, SciFact) changes, nor its vectors, nor its record key.
 */
import { expect, it } from 'vitest';
import { readEmoji } from '../../../src/rerank/emoji-names.js';
import { documentText, queryText } from '../../../src/rerank/read-text.js';
import { jsonl } from '../../helpers/reranker.js';

it('writes each emoji as its short name, spaced from the words beside it', () => {
  expect(readEmoji('🍌🍌🍌')).toBe('banana banana banana');
  expect(readEmoji('I❤️NY')).toBe('I red heart NY');
  expect(readEmoji('ok 👍🏽 good')).toBe('ok thumbs up good'); // a skin tone: its base emoji's name
  expect(readEmoji('made in 🇸🇪')).toBe('made in flag Sweden');
  expect(readEmoji('🧑‍🍳 special')).toBe('cook special'); // a ZWJ sequence is one emoji
  expect(queryText('🍌')).toBe('banana');
  // read before runs are collapsed: four bananas are a run
  expect(documentText('🍌🍌🍌🍌 chips')).toBe('banana chips');
});

it('returns a text without emoji as the same string: symbols that are emoji only with a selector are left as written', () => {
  for (const t of ['plain text', '© 2020 Arla™', '1 2 3 #', '☺ smile', '', 'Ölands 5% fil']) expect(readEmoji(t)).toBe(t);
});

it('changes no text of the public sets (their figures cannot move)', () => {
  const texts = [
    ...jsonl<{ title: string; description: string }>('grocery-store-products/catalog.jsonl').flatMap((c) => [c.title, c.description]),
    ...jsonl<{ captions: string[] }>('coco-captions-mini/captions.jsonl').flatMap((c) => c.captions),
    ...jsonl<{ title: string; text: string }>('scifact-beir/corpus.jsonl').flatMap((d) => [d.title, d.text]),
    ...jsonl<{ text: string }>('scifact-beir/queries.jsonl').map((q) => q.text),
  ];
  expect(texts.length).toBeGreaterThan(10_000);
  expect(texts.filter((t) => readEmoji(t) !== t)).toEqual([]);
});
