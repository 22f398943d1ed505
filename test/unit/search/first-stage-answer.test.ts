/**
 * A first-stage answer read in the JSON worker (search/first-stage-answer.ts, task ld25) is written
 * back byte for byte as the same answer read on the main thread (as before): longs past 2^53,
 * `-0.0`, `1.0`, escapes and an encoded lone surrogate in the hits' `_source` (util/json-tokens.ts,
 * util/wire-text.ts), hit strings longer than the worker's cut, pretty-printed layout. Answers of
 * SMALL_ANSWER bytes or more go to the worker (its `parse` counted), smaller ones do not; a body
 * that is not JSON is refused either way.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ANSWER_CUT_CHARS, AnswerNotJson, readEngineAnswer, SMALL_ANSWER } from '../../../src/search/first-stage-answer.js';
import { holdsTokens, stringifyAnswer } from '../../../src/util/json-tokens.js';
import { JsonWorker } from '../../../src/util/json-worker.js';

const thread = new JsonWorker().start();
afterAll(() => thread.close());
let sent = 0;
const worker = { parse: (bytes: Buffer, o: Parameters<JsonWorker['parse']>[1]) => (sent++, thread.parse(bytes, o)) };

/** An engine's answer of `hits` hits, each with `pad` characters of text and the tokens given. */
function answer(hits: number, pad: number, tokens: boolean, indent = false): Buffer {
  const parts: Buffer[] = [Buffer.from(`{"took":2,"timed_out":false,"hits":{"total":{"value":${hits},"relation":"eq"},"max_score":1.5,"hits":[`)];
  for (let i = 0; i < hits; i++) {
    const nl = indent ? '\n    ' : '';
    const src = tokens
      ? `{${nl}"id":${1234567890123456789n + BigInt(i)},"z":-0.0,"price":1.0,"e":"caf\\u00e9","tiny":1E-7,"s":"a\\/b","v":[0.5,2.50,-0],"text":"${'x'.repeat(pad)}","lone":"`
      : `{${nl}"id":${i},"z":0,"price":1.5,"text":"${'x'.repeat(pad)}","lone":"`;
    parts.push(Buffer.from(`${i ? ',' : ''}{"_index":"ld25-a","_id":"${i}","_score":${1.5 - i / 1000},"_source":${src}`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}}'));
  }
  parts.push(Buffer.from(']}}'));
  return Buffer.concat(parts);
}

/** What a reranked answer writes of it (the hits reordered: tokens are bound to the objects that hold them). */
function written(value: unknown): string {
  const a = value as { hits: { hits: unknown[] } };
  a.hits.hits.reverse();
  holdsTokens(a);
  return stringifyAnswer(a);
}

describe('readEngineAnswer', () => {
  for (const tokens of [true, false])
    for (const indent of [false, true])
      it(`writes back what the main-thread reading writes (${tokens ? 'tokens kept' : 'no tokens'}${indent ? ', pretty' : ''}), read in the worker`, async () => {
        const raw = answer(12, Math.ceil(SMALL_ANSWER / 10), tokens, indent);
        expect(raw.length).toBeGreaterThanOrEqual(SMALL_ANSWER);
        const before = sent;
        const off = await readEngineAnswer(Buffer.from(raw), { worker }); // a copy: its memory goes to the thread
        expect(sent).toBe(before + 1); // read in the thread
        const main = await readEngineAnswer(raw);
        expect(off.tokens).toEqual(main.tokens);
        const text = written(off.value);
        expect(text).toBe(written(main.value));
        expect(text).toContain('"lone":"\\ud800"');
        if (tokens) expect(text).toContain('"id":1234567890123456789,"z":-0.0,"price":1.0,"e":"caf\\u00e9","tiny":1E-7,"s":"a\\/b","v":[0.5,2.50,-0]');
      });

  it('a hit string longer than the cut comes back whole', async () => {
    const raw = answer(1, ANSWER_CUT_CHARS + 5, true);
    const off = await readEngineAnswer(Buffer.from(raw), { worker });
    expect(written(off.value)).toBe(written((await readEngineAnswer(raw)).value));
  });

  it('a small answer is read on the main thread; not JSON is refused either way', async () => {
    const before = sent;
    const small = answer(3, 100, true);
    expect(written((await readEngineAnswer(small, { worker })).value)).toBe(written((await readEngineAnswer(small)).value));
    expect(sent).toBe(before);
    const broken = Buffer.concat([answer(12, Math.ceil(SMALL_ANSWER / 10), false), Buffer.from('}')]);
    await expect(readEngineAnswer(broken, { worker })).rejects.toBeInstanceOf(AnswerNotJson);
    await expect(readEngineAnswer(Buffer.from(' '.repeat(SMALL_ANSWER)), { worker })).rejects.toBeInstanceOf(AnswerNotJson);
    await expect(readEngineAnswer(Buffer.from('{"a":'))).rejects.toBeInstanceOf(AnswerNotJson);
  });

  it('a worker that is gone: the answer is read on the main thread', async () => {
    const gone = new JsonWorker();
    await gone.close();
    const raw = answer(12, Math.ceil(SMALL_ANSWER / 10), true);
    expect(written((await readEngineAnswer(Buffer.from(raw), { worker: gone })).value)).toBe(written((await readEngineAnswer(raw)).value));
  });

  it('a worker that dies holding the answer (a heap too small for it): refused as lost, not as "not JSON"', async () => {
    const small = new JsonWorker({ resourceLimits: { maxOldGenerationSizeMb: 2, maxYoungGenerationSizeMb: 1 } });
    try {
      const raw = answer(40, Math.ceil(SMALL_ANSWER / 10), true);
      const e = await readEngineAnswer(raw, { worker: small }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(AnswerNotJson);
      expect(e).toMatchObject({ lost: true, head: expect.stringContaining('{"took":2') });
      expect(raw.length).toBe(0); // transferred to the thread, not copied
    } finally {
      await small.close();
    }
  });
});
