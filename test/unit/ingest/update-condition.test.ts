/** update-condition.ts: the condition vlrerank puts on an `_update` whose record it computed, and how often it sends it. */
import { describe, expect, it } from 'vitest';
import { clientConditioned, conditionedPath, updateTries } from '../../../src/ingest/update-condition.js';

describe('an _update conditioned on the version its record was computed from', () => {
  it('adds if_seq_no/if_primary_term, keeps the other parameters, drops retry_on_conflict (refused beside them)', () => {
    expect(conditionedPath('/i/_update/1', { _seq_no: 7, _primary_term: 2 })).toBe('/i/_update/1?if_seq_no=7&if_primary_term=2');
    expect(conditionedPath('/i/_update/1?refresh=true&retry_on_conflict=3&routing=r', { _seq_no: 0, _primary_term: 1 })).toBe('/i/_update/1?refresh=true&routing=r&if_seq_no=0&if_primary_term=1');
  });
  it('leaves a client’s own condition alone', () => {
    expect(clientConditioned('/i/_update/1?if_seq_no=3&if_primary_term=1')).toBe(true);
    expect(clientConditioned('/i/_update/1?if_primary_term=1')).toBe(true);
    expect(clientConditioned('/i/_update/1?refresh=true')).toBe(false);
  });
  it('tries the client’s retry_on_conflict + 1 times, at least 4', () => {
    expect(updateTries('/i/_update/1')).toBe(4);
    expect(updateTries('/i/_update/1?retry_on_conflict=1')).toBe(4);
    expect(updateTries('/i/_update/1?retry_on_conflict=9')).toBe(10);
    expect(updateTries('/i/_update/1?retry_on_conflict=abc')).toBe(4);
    expect(updateTries('/i/_update/1?retry_on_conflict=1000000')).toBe(101);
  });
});
