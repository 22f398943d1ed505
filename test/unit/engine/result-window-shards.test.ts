/** The result-window refusal read from a 200 answer's shard failures, never from a hit's own text (result-window.ts). */
import { describe, expect, it } from 'vitest';
import { maxResultWindowOfShards } from '../../../src/engine/result-window.js';

const WORDS = 'Result window is too large, from + size must be less than or equal to: [8] but was [12].';
const answer = (failures: object[], hits: object[]) => Buffer.from(JSON.stringify({ took: 1, timed_out: false, _shards: { total: 2, successful: 2 - failures.length, skipped: 0, failed: failures.length, failures }, hits: { total: { value: hits.length, relation: 'eq' }, hits } }));

describe('maxResultWindowOfShards', () => {
  it('names the limit a failed shard gave', () => {
    expect(maxResultWindowOfShards(answer([{ shard: 0, index: 'a', reason: { type: 'illegal_argument_exception', reason: WORDS } }], []))).toBe(8);
  });
  it('does not read a hit\'s text for it', () => {
    expect(maxResultWindowOfShards(answer([], [{ _id: '1', _source: { text: WORDS } }]))).toBeUndefined();
  });
  it('no limit in other failures', () => {
    expect(maxResultWindowOfShards(answer([{ shard: 0, index: 'a', reason: { type: 'query_shard_exception', reason: 'failed to create query' } }], []))).toBeUndefined();
  });
});
