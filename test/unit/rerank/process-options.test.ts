/**
 * The library's entry points refuse bad options with a typed error naming the option (held-out probe
 * round 4): `process(input, null)`, a `signal` that is not an AbortSignal and `new Reranker(null)`
 * threw raw TypeErrors from inside ("Cannot read properties of null (reading 'client')",
 * "req.signal?.throwIfAborted is not a function"). The options are checked before any model loads.
 */
import { describe, expect, it } from 'vitest';
import { Reranker, VlrerankError } from '../../../src/index.js';
import { MODELS } from '../../helpers/paths.js';

const input = { query: 'apple', documents: ['an apple pie'] };

describe('process() and new Reranker() options', () => {
  const r = new Reranker({ modelsDir: MODELS });

  it.each([
    [null, '[options] process() options must be an object'],
    ['fast', '[options] process() options must be an object'],
    [{ signal: 'x' }, '[options.signal] must be an AbortSignal'],
    [{ signal: { aborted: false } }, '[options.signal] must be an AbortSignal'],
    [{ deadline: '10' }, '[options.deadline] must be a number'],
    [{ client: 5 }, '[options.client] must be a string'],
    [{ records: 'x' }, '[options.records] must be an array'],
    [{ maxTokensPerDoc: 0 }, '[options.maxTokensPerDoc] must be a positive integer'],
    [{ maxTokensPerDoc: 2.5 }, '[options.maxTokensPerDoc] must be a positive integer'],
    [{ budgetMs: 0 }, '[options.budgetMs] must be a number of ms above 0'],
    [{ budgetMs: '100' }, '[options.budgetMs] must be a number of ms above 0'],
    [{ budgetMs: 3_600_001 }, '[options.budgetMs] must be a number of ms above 0'],
  ])('process(input, %j) → VLR_BAD_REQUEST naming the option', async (options, message) => {
    const e = await r.process(input, options as never).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(VlrerankError);
    expect(e).toMatchObject({ code: 'VLR_BAD_REQUEST', status: 400 });
    expect((e as Error).message).toContain(message);
  });

  it('new Reranker(null) → VLR_BAD_REQUEST, not a TypeError', () => {
    expect(() => new Reranker(null as never)).toThrow(VlrerankError);
    expect(() => new Reranker(null as never)).toThrow('[options] new Reranker(options): options must be an object');
  });
});
