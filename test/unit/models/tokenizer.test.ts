/**
 * Tokenisation with truncation done in code (the library does not truncate): bge/BERT single
 * texts end with [SEP], CLIP with <|endoftext|> at 77, and cross-encoder pairs are
 * `[CLS] q [SEP] p [SEP]` with segment ids, cut longest-first. The cross-encoder path is tested for
 * tokenisation only: no cross-encoder weights exist on these machines (bert-base-uncased WordPiece
 * tokenizer of the MS MARCO cross-encoders from ../shared/models/_tokenizers-only).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CrossEncoder } from '../../../src/models/encoders/cross-encoder.js';
import { parseManifest } from '../../../src/models/manifest.js';
import { ModelRegistry } from '../../../src/models/registry.js';
import { TextTokenizer, padBatch } from '../../../src/models/tokenizer.js';
import { MODELS } from '../../helpers/paths.js';

const BERT = join(MODELS, '_tokenizers-only/bert-base-uncased-wordpiece/tokenizer.json');
const CLIP = join(MODELS, '_tokenizers-only/clip-vit-b32-tokenizer/tokenizer.json');

describe('TextTokenizer', () => {
  it('BERT pair encoding matches the reference ids and segment ids', async () => {
    const tok = await TextTokenizer.fromFile(BERT, 512);
    const e = tok.encodePair('how many people live in berlin', 'Berlin has a population of 3.5 million');
    expect(e.ids).toEqual([101, 2129, 2116, 2111, 2444, 1999, 4068, 102, 4068, 2038, 1037, 2313, 1997, 1017, 1012, 1019, 2454, 102]);
    expect(e.typeIds).toEqual([...Array(8).fill(0), ...Array(10).fill(1)]);
  });

  it('pairs are truncated longest-first to maxTokens, keeping both [SEP]', async () => {
    const tok = await TextTokenizer.fromFile(BERT, 32);
    const e = tok.encodePair('a short query', 'word '.repeat(100));
    expect(e.ids).toHaveLength(32);
    expect(e.fullLength).toBe(3 + 3 + 100);
    expect(e.ids.slice(0, 5)).toEqual([101, 1037, 2460, 23032, 102]); // the short query is kept whole
    expect(e.ids[31]).toBe(102);
    expect(e.typeIds.filter((t) => t === 1)).toHaveLength(32 - 5);
    const both = tok.encodePair('query '.repeat(40), 'passage '.repeat(40));
    expect(both.ids).toHaveLength(32);
    // content lengths (without [CLS] [SEP] / [SEP]) differ by at most one token
    expect(Math.abs(both.typeIds.filter((t) => t === 0).length - 2 - (both.typeIds.filter((t) => t === 1).length - 1))).toBeLessThanOrEqual(1);
  });

  it('CLIP: 77 ids at most, <|startoftext|> first and <|endoftext|> last', async () => {
    const tok = await TextTokenizer.fromFile(CLIP, 77);
    const e = tok.encode('a photo of a cat '.repeat(30));
    expect(e.ids).toHaveLength(77);
    expect(e.ids[0]).toBe(49406);
    expect(e.ids[76]).toBe(49407);
    expect(tok.encode('a photo of a cat').ids).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
  });

  it('padBatch pads to the longest (or to a fixed length) with the pad id and a zero mask', () => {
    const { seq, ids, mask } = padBatch([{ ids: [1, 2, 3], typeIds: [0, 0, 0], fullLength: 3 }, { ids: [4], typeIds: [0], fullLength: 1 }], 9);
    expect(seq).toBe(3);
    expect([...ids]).toEqual([1n, 2n, 3n, 4n, 9n, 9n]);
    expect([...mask]).toEqual([1n, 1n, 1n, 1n, 0n, 0n]);
    expect(padBatch([{ ids: [1], typeIds: [0], fullLength: 1 }], 0, 5).seq).toBe(5);
  });
});

describe('CrossEncoder (tokenisation only: no weights here)', () => {
  const manifest = parseManifest(
    JSON.stringify({
      id: 'bert-pair-tokenizer-only', revision: 'test', task: 'text-cross-encoder', license: 'Apache-2.0',
      files: [
        { path: 'model.onnx', role: 'onnx:model', sha256: 'unknown', size: 'unknown' },
        {
          path: 'tokenizer.json', role: 'tokenizer', size: 466247,
          sha256: 'be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037',
          sources: { mirror: '_tokenizers-only/bert-base-uncased-wordpiece/tokenizer.json' },
        },
      ],
      io: { model: { inputs: ['input_ids', 'attention_mask', 'token_type_ids'], outputs: ['logits'] } },
      text: { maxTokens: 512, padId: 0 },
    }),
    'test.json',
  );

  it('builds [CLS] query [SEP] passage [SEP] and reports the missing weights clearly when scoring', async () => {
    const registry = await ModelRegistry.create({ dir: MODELS, manifests: new Map([[manifest.id, manifest]]) });
    const ce = await CrossEncoder.create({ registry, batch: { maxBatchSize: 8, maxWaitMs: 0, maxQueue: 16 } }, manifest.id);
    expect(ce.encode('how many people live in berlin', 'Berlin has a population of 3.5 million').ids).toEqual([
      101, 2129, 2116, 2111, 2444, 1999, 4068, 102, 4068, 2038, 1037, 2313, 1997, 1017, 1012, 1019, 2454, 102,
    ]);
    await expect(ce.score('q', ['p'])).rejects.toMatchObject({ code: 'VLR_MODEL_MISSING', message: expect.stringContaining('vlrerank models pull bert-pair-tokenizer-only') });
  });
});

describe('lengthGroups (text batches padded by similar length)', () => {
  it('keeps close lengths together and splits off a long outlier, covering every index once', async () => {
    const { lengthGroups } = await import('../../../src/models/encoders/text-embedder.js');
    const enc = (n: number) => ({ ids: new Array(n).fill(1), typeIds: [], fullLength: n });
    const encs = [enc(20), enc(512), enc(22), enc(18), enc(25)];
    const groups = lengthGroups(encs);
    expect(groups).toEqual([[3, 0, 2, 4], [1]]);
    expect(lengthGroups([enc(10), enc(10), enc(10)])).toEqual([[0, 1, 2]]);
  });

  it('caps a run at MAX_TOKENS_PER_RUN padded tokens (a run blocks the event loop, budget timers included)', async () => {
    const { lengthGroups, MAX_TOKENS_PER_RUN } = await import('../../../src/models/encoders/text-embedder.js');
    const enc = (n: number) => ({ ids: new Array(n).fill(1), typeIds: [], fullLength: n });
    const encs = Array.from({ length: 16 }, () => enc(512));
    const groups = lengthGroups(encs);
    expect(groups.map((g) => g.length)).toEqual([4, 4, 4, 4]);
    for (const g of groups) expect(g.length * 512).toBeLessThanOrEqual(MAX_TOKENS_PER_RUN);
    expect(groups.flat().sort((a, b) => a - b)).toEqual(encs.map((_, i) => i));
    expect(lengthGroups(Array.from({ length: 40 }, () => enc(20)))).toHaveLength(1); // short texts still share one run
  });
});
