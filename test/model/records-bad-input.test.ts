/**
 * `Reranker.records()` — exported beside process(), what an app calls to make the feature records it
 * keeps — checks what it is given as process() does: each mistake a VlrerankError VLR_BAD_REQUEST
 * naming the field. Unchecked (held-out probe round 24b), `records(null)` threw a TypeError "Cannot
 * read properties of null", `{text: 7}` Node's ERR_INVALID_ARG_TYPE, a `signal: 'x'` a TypeError —
 * none with a code —, `{image: 7}` came back as `errors: [{code: "VLR_INTERNAL", reason: "internal
 * error"}]`, a string document made an empty record `{v}` silently, and `fps: NaN` or
 * `chunking: {max_tokens: 1}` were taken. What ingest passes (a document with none of the fields, a
 * pipeline's own sampling past process()'s caps) is still made. Real models.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { VlrerankError } from '../../src/errors.js';
import { testReranker } from '../helpers/reranker.js';

describe('Reranker.records() given what a script gets wrong', { timeout: 300_000 }, () => {
  const r = testReranker();
  afterAll(() => r.close());

  const refused = async (run: () => Promise<unknown>): Promise<VlrerankError> => {
    const e = await run().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(VlrerankError);
    expect((e as VlrerankError).code).toBe('VLR_BAD_REQUEST');
    return e as VlrerankError;
  };

  it.each([
    ['null', null, '[documents] must be an array of documents'],
    ['a string', 'an apple', '[documents] must be an array of documents'],
    ['an object', { text: 'an apple' }, '[documents] must be an array of documents'],
    ['a null document', [null], '[documents[0]]'],
    ['a string document', ['an apple'], '[documents[0]]'],
    ['a number text', [{ text: 'x' }, { text: 7 }], '[documents[1].text]'],
    ['a number image', [{ image: 7 }], '[documents[0].image]'],
    ['an object video', [{ video: {} }], '[documents[0].video]'],
    ['an empty image', [{ image: '' }], '[documents[0].image]'],
    ['a negative fps', [{ video: 'x.mp4', fps: -1 }], '[documents[0].fps]'],
  ])('documents: %s', async (_what, documents, field) => {
    const e = await refused(() => r.records(documents as never));
    expect(e.message.startsWith(field)).toBe(true);
  });

  it.each([
    ['a string', 'x', '[options] records() options must be an object'],
    ['fps NaN', { fps: NaN }, '[options.fps]'],
    ['maxFrames 0', { maxFrames: 0 }, '[options.maxFrames]'],
    ['chunking of 1 token', { chunking: { max_tokens: 1 } }, '[options.chunking.max_tokens]'],
    ['a string signal', { signal: 'x' }, '[options.signal] must be an AbortSignal'],
    ['a misspelt option', { ocrr: true }, '[options.ocrr] unknown option; did you mean ocr?'],
  ])('options: %s', async (_what, options, field) => {
    const e = await refused(() => r.records([{ text: 'an apple' }], options as never));
    expect(e.message.startsWith(field)).toBe(true);
  });

  it('what ingest passes is still made: no field at all, a pipeline sampling past the request caps, keys of its own', async () => {
    const out = await r.records([{}, { text: 'an apple', fps: 90, max_frames: 1000, id: 'x' } as never], { queryVectors: false, ocr: false });
    expect(out.errors).toEqual([]);
    expect(Object.keys(out.records[0]!)).toEqual(['v']);
    expect(out.records[1]!.text).toBeDefined();
  });
});
