/**
 * TEI's `/rerank` answers a mistake with TEI's status — 413 for more texts than it takes, 400 for
 * none, 422 for the rest (api/rerank-tei.ts) — chosen by the rule the request validator names on its
 * error (rerank/types.ts `rerankInputRuleOf`), not by the words of its message: the status was picked
 * by matching `^\[texts\] too many` against the message, so rewording it turned a 413 into a 422.
 */
import { describe, expect, it } from 'vitest';
import { rerankTei } from '../../../src/api/rerank-tei.js';
import { Reranker } from '../../../src/index.js';
import { rerankInputError, rerankInputRuleOf, type RerankInputRule } from '../../../src/rerank/types.js';
import { MODELS } from '../../helpers/paths.js';

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as { status: number; message: string },
  );

describe('TEI statuses follow the validator’s rule', () => {
  // the real validator: process() checks the request before any model loads
  const reranker = new Reranker({ modelsDir: MODELS, maxDocuments: 3 });

  it.each([
    [{ query: 'q', texts: ['a', 'b', 'c', 'd'] }, 413, '[texts] too many documents', 'too_many_documents'],
    [{ query: 'q', texts: [] }, 400, '[texts] must hold at least one', 'no_documents'],
    [{ query: '   ', texts: ['a'] }, 422, '[query]', 'empty_query'],
    [{ query: 'q', texts: [5] }, 422, '[texts[0]]', undefined],
  ])('%j → %i', async (body, status, message, rule) => {
    const e = await refusal(rerankTei(reranker, body as never));
    expect(e).toMatchObject({ status });
    expect(e!.message).toContain(message);
    if (rule) expect(rerankInputRuleOf(e)).toBe(rule);
  });

  // a validator whose messages say the same in other words: the statuses stay TEI's
  it.each([
    ['too_many_documents', 'more documents than the 1,000 this server takes', 413],
    ['no_documents', 'is empty: give one document or more', 400],
    ['invalid_field', 'too many fields', 422],
  ] as Array<[RerankInputRule, string, number]>)('a reworded %s error ("%s") → %i', async (rule, words, status) => {
    const rewordedValidator = {
      process: async () => {
        throw rerankInputError(rule, 'documents', words);
      },
    };
    const e = await refusal(rerankTei(rewordedValidator, { query: 'q', texts: ['a'] }));
    expect(e).toMatchObject({ status, message: `[texts] ${words}` });
  });

  it('the rule is no field of the error’s JSON (other APIs’ bodies unchanged)', () => {
    const e = rerankInputError('too_many_documents', 'documents', 'too many documents: 4 > 3');
    expect(JSON.stringify(e.toJSON())).not.toContain('too_many_documents');
    expect({ ...e }).not.toHaveProperty('rule');
  });
});
