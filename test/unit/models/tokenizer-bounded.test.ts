/**
 * No text can make tokenisation unbounded (issue 13 §2): however long a text, the tokenizer
 * library is handed at most `maxInputChars(maxTokens)` characters of it, and what the model reads
 * (the first maxTokens tokens) is the same as when the whole text is tokenised. Real tokenizers
 * from ../shared/models (bge WordPiece, CLIP BPE).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it, vi } from 'vitest';
import { maxInputChars, TextTokenizer } from '../../../src/models/tokenizer.js';
import { DATA, MODELS } from '../../helpers/paths.js';

const BGE = join(MODELS, 'bge-small-en-v1.5/tokenizer.json');
const CLIP = join(MODELS, '_tokenizers-only/clip-vit-b32-tokenizer/tokenizer.json');
const abstracts = readFileSync(join(DATA, 'scifact-beir/corpus.jsonl'), 'utf8')
  .split('\n', 200)
  .filter(Boolean)
  .map((l) => (JSON.parse(l) as { text: string }).text)
  .join(' ');

describe.each([
  ['bge (WordPiece)', BGE, 512],
  ['CLIP (BPE)', CLIP, 77],
])('%s tokenizer on huge texts', (_name, file, maxTokens) => {
  it('is handed a bounded prefix of a 10 MiB text, and keeps what the model reads', async () => {
    const tok = await TextTokenizer.fromFile(file, maxTokens);
    const huge = abstracts.repeat(Math.ceil((10 * 1024 * 1024) / abstracts.length));
    expect(huge.length).toBeGreaterThan(10 * 1024 * 1024);
    const spy = vi.spyOn(tok, 'tokens');
    const e = tok.encode(huge);
    expect(spy).toHaveBeenCalled();
    for (const [arg] of spy.mock.calls) expect(arg.length).toBeLessThanOrEqual(maxInputChars(maxTokens));
    expect(e.ids).toHaveLength(maxTokens);
    expect(e.cut).toBe(true);
    expect(e.fullLength).toBeGreaterThan(maxTokens);
    // the content ids the model reads are those of the library tokenising far more of the text (200 kB)
    const lib = new Tokenizer(JSON.parse(readFileSync(file, 'utf8')), {});
    const reference = lib.tokenize(huge.slice(0, 200_000), { add_special_tokens: false }).slice(0, maxTokens - 2).map((t: string) => lib.token_to_id(t));
    expect(e.ids.slice(1, maxTokens - 1)).toEqual(reference);
  });

  it('a single 1 MiB word without spaces is cut too', async () => {
    const tok = await TextTokenizer.fromFile(file, maxTokens);
    const spy = vi.spyOn(tok, 'tokens');
    const e = tok.encode('x'.repeat(1024 * 1024));
    for (const [arg] of spy.mock.calls) expect(arg.length).toBeLessThanOrEqual(maxInputChars(maxTokens));
    expect(e.ids.length).toBeLessThanOrEqual(maxTokens);
    expect(e.cut).toBe(true);
  });

  it('texts within the first prefix are tokenised whole and counted exactly', async () => {
    const tok = await TextTokenizer.fromFile(file, maxTokens);
    const text = abstracts.slice(0, 3000);
    const e = tok.encode(text);
    expect(e.cut).toBeUndefined();
    expect(e.fullLength).toBe(tok.tokens(text).length + 2);
  });
});
