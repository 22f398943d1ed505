/** search/search-defaults.ts: which engine 400 teaches an index's vlrerank default search pipeline, and how long it is kept. */
import { describe, expect, it } from 'vitest';
import { SearchDefaults, undefinedPipeline } from '../../../src/search/search-defaults.js';

const refusal = (name: string) => ({ error: { root_cause: [{ type: 'illegal_argument_exception', reason: `Pipeline ${name} is not defined` }], type: 'illegal_argument_exception', reason: `Pipeline ${name} is not defined` }, status: 400 });
const ours = (n: string) => n === 'kb';

describe('undefinedPipeline', () => {
  it('names a vlrerank pipeline the engine says is not defined, from bytes or parsed', () => {
    expect(undefinedPipeline(400, Buffer.from(JSON.stringify(refusal('kb'))), ours)).toBe('kb');
    expect(undefinedPipeline(400, refusal('kb'), ours)).toBe('kb');
  });
  it('ignores another pipeline, another status, another error and bytes that are not JSON', () => {
    expect(undefinedPipeline(400, refusal('engine-own'), ours)).toBeUndefined();
    expect(undefinedPipeline(404, refusal('kb'), ours)).toBeUndefined();
    expect(undefinedPipeline(400, { error: { reason: 'Pipeline kb is not defined, and more' } }, ours)).toBeUndefined();
    expect(undefinedPipeline(400, Buffer.from('<html>'), ours)).toBeUndefined();
  });
});

describe('SearchDefaults', () => {
  it('keeps what was learnt per index expression until forgotten; 0 keeps nothing', () => {
    const d = new SearchDefaults(60_000);
    expect(d.get('a')).toBeUndefined();
    d.learn('a', 'kb');
    expect(d.get('a')).toBe('kb');
    expect(d.get('b')).toBeUndefined();
    d.forget();
    expect(d.get('a')).toBeUndefined();
    const none = new SearchDefaults(0);
    none.learn('a', 'kb');
    expect(none.get('a')).toBeUndefined();
  });
  it('says once anything was learnt or suspected (an _msearch answer seen refusing an item), across forget; 0 never', () => {
    const d = new SearchDefaults(60_000);
    expect(d.any).toBe(false);
    d.learn('a', 'kb');
    d.forget();
    expect(d.any).toBe(true);
    const s = new SearchDefaults(60_000);
    s.suspect();
    expect(s.any).toBe(true);
    expect(s.get('a')).toBeUndefined();
    const none = new SearchDefaults(0);
    none.suspect();
    none.learn('a', 'kb');
    expect(none.any).toBe(false);
  });
});
