// Text-vector keys name what the disk tier and Redis already hold: a key computed another way
// (perf14a: one-shot crypto.hash instead of a createHash object) must be the very key the old
// code made, or every kept vector would be missed after an upgrade. Spelled out here as the old
// code made it: sha1 over `${model}\0${kind}\0` then the text (or the part the model reads, then
// `\0longer`), base64url.
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { TextVectorCache, type VectorTier } from '../../../src/features/text-vectors.js';
import { maxInputChars } from '../../../src/models/tokenizer.js';

function oldKey(model: string, kind: string, text: string, reads: number): string {
  const h = createHash('sha1').update(`${model}\0${kind}\0`);
  if (text.length > reads) h.update(text.slice(0, reads)).update('\0longer');
  else h.update(text);
  return `text|${h.digest('base64url')}`;
}

it('keys texts as the createHash code did (short, unicode, lone surrogates, longer than the model reads)', async () => {
  const maxTokens = 16;
  const reads = maxInputChars(maxTokens) + 1;
  const keys: string[] = [];
  const tier: VectorTier = { get: () => undefined, set: (k) => void keys.push(k) };
  const model = { id: 'bge-small-en-v1.5@rev+alone', maxTokens, embed: async (texts: string[]) => texts.map(() => new Float32Array(4)) };
  const cache = new TextVectorCache(model, tier);
  const long = 'word '.repeat(reads);
  // a surrogate pair cut by the read limit: its high half ends the part that is hashed
  const cut = `${'x'.repeat(reads - 1)}😀 and more after it`;
  const texts = ['a person riding a bicycle', '', 'Ünïcödé — 漢字 😀', '\ud800 lone high', 'lone low \udc00', long, cut, `${'y'.repeat(reads)}`];
  for (const kind of ['query', 'passage'] as const) {
    keys.length = 0;
    await cache.vectors(texts, kind);
    await new Promise((r) => setImmediate(r));
    expect(keys.sort()).toEqual(texts.map((t) => oldKey(model.id, kind, t, reads)).sort());
  }
});
