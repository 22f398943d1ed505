/**
 * neuralAsk's walk is skipped for a body whose text holds no `neural` (held-out probe round 33b): the
 * cheap string test must never skip a body that holds one — written with a `\u` escape included.
 */
import { describe, expect, it } from 'vitest';
import { mayHoldNeural, noNeuralIn } from '../../../src/search/neural.js';

describe('the string test before neuralAsk’s walk', () => {
  it('skips only bodies whose text can hold no neural', () => {
    const cases: Array<[string, boolean]> = [
      ['{"query":{"match":{"title":"x"}}}', false],
      ['{"query":{"bool":{"must":[{"neural":{"v":{"model_id":"p"}}}]}}}', true],
      ['{"query":{"bool":{"must":[{"ne\\u0075ral":{"v":{"model_id":"p"}}}]}}}', true],
      ['{"query":{"match":{"title":"neural networks"}}}', true],
    ];
    for (const [text, may] of cases) {
      const body = JSON.parse(text) as object;
      noNeuralIn(body, text);
      expect(mayHoldNeural(body), text).toBe(may);
    }
    expect(mayHoldNeural({})).toBe(true); // a body never seen is walked
  });
});
