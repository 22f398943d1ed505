/**
 * The proxy-vs-direct comparison ignores the clock columns of a text `_cat/count` answer (the two
 * calls may straddle a second) and nothing else: a different count still differs.
 */
import { describe, expect, it } from 'vitest';
import { comparable, type Answer } from '../helpers/compare.js';

const text = (body: string): Answer => ({ statusCode: 200, body, headers: {} });

describe('comparable() on _cat text', () => {
  it('equal across a second boundary', () => {
    const a = text('epoch      timestamp count\n1796317293 17:01:33  3000\n');
    const b = text('epoch      timestamp count\n1796317294 17:01:34  3000\n');
    expect(comparable(a)).toEqual(comparable(b));
  });

  it('still different when the count differs, or when the text is not a clocked _cat table', () => {
    const a = text('epoch      timestamp count\n1796317293 17:01:33  3000\n');
    const b = text('epoch      timestamp count\n1796317293 17:01:33  2999\n');
    expect(comparable(a)).not.toEqual(comparable(b));
    expect(comparable(text('1796317293 17:01:33 x'))).not.toEqual(comparable(text('1796317294 17:01:34 x')));
  });
});
