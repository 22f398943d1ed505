/** Input validation: every malformed request is a VLR_BAD_REQUEST naming a field, never a crash (fuzzed). */
import { expect, it } from 'vitest';
import fc from 'fast-check';
import { validateRerankInput } from '../../../src/rerank/types.js';
import { isVlrerankError } from '../../../src/errors.js';
import { compatItem } from '../../../src/api/rerank.js';
import { toRemoteItem } from '../../../src/rerank/backends/remote.js';

it('normalises strings to text documents and keeps the originals', () => {
  const v = validateRerankInput({ query: 'q', documents: ['a', { image: 'x.png', text: 't' }], top_n: 1, explain: true }, { maxDocuments: 10 });
  expect(v.query).toEqual({ text: 'q' });
  expect(v.documents).toEqual([{ text: 'a' }, { image: 'x.png', text: 't' }]);
  expect(v.original[0]).toBe('a');
  expect(v.backend).toBe('local');
});

it('any JSON value either validates or fails with a 400 that names a field', () => {
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), fc.record({ query: fc.jsonValue(), documents: fc.jsonValue() }, { requiredKeys: [] })), (input) => {
      try {
        validateRerankInput(input, { maxDocuments: 50 });
        return true;
      } catch (e) {
        return isVlrerankError(e) && e.status === 400 && typeof e.details.field === 'string' && e.message.startsWith('[');
      }
    }),
    { numRuns: 500 },
  );
});

it('content parts round-trip between the remote request shape and the compatible API parser', () => {
  const item = { text: 'a dog', image: 'https://x/y.jpg', video: 'https://x/v.mp4' };
  expect(compatItem(toRemoteItem(item), 'documents[0]')).toEqual(item);
  expect(toRemoteItem({ text: 'only text' })).toBe('only text');
  expect(() => compatItem({ content: [{ type: 'audio_url' }] }, 'query')).toThrow(/\[query\.content\[0\]\.type\]/);
});
