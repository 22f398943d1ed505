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

  // held-out probe round 11b: raw ZodErrors (naming config keys), TypeErrors, a silent 0 for every
  // document, or a typo ignored — now refused at once, naming the option
  it.each([
    [{ mediaRoots: './media' }, '[options.mediaRoots] must be an array of folder paths'],
    [{ device: 'gpu' }, '[options.device] must be one of auto, cpu, cuda'],
    [{ precision: { 'bge-small-en-v1.5': 'fp64' } }, '[options.precision.bge-small-en-v1.5] must be one of fp32, fp16, int8'],
    [{ cacheDir: 7 }, '[options.cacheDir] must be a non-empty string'],
    [{ featureStore: '/tmp/x' }, '[options.featureStore] must be { diskPath: "<folder>", diskMaxBytes? }'],
    [{ weights: { text_text: 'x' } }, '[options.weights.text_text] must be a number ≥ 0'],
    [{ weights: { text_txt: 1 } }, '[options.weights.text_txt] unknown signal'],
    [{ maxDocuments: -1 }, '[options.maxDocuments] must be a positive integer'],
    [{ maxConcurrentRequests: 0 }, '[options.maxConcurrentRequests] must be a positive integer'],
    [{ fps: -1 }, '[options.fps] must be a number above 0'],
    [{ apiBudgetMs: -5 }, '[options.apiBudgetMs] must be a number of ms from 0'],
    [{ modelDir: MODELS }, '[options.modelDir] unknown option; did you mean modelsDir?'],
    [{ mediaroots: [] }, '[options.mediaroots] unknown option; did you mean mediaRoots?'],
  ])('new Reranker(%j) → VLR_BAD_REQUEST naming the option', (options, message) => {
    let e: unknown;
    try {
      new Reranker(options as never);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(VlrerankError);
    expect(e).toMatchObject({ code: 'VLR_BAD_REQUEST', status: 400 });
    expect((e as Error).message).toContain(message);
  });

  // the options are zod strict objects (src/rerank/options-check.ts): a misspelt process() option
  // or a misspelt key inside an option object was ignored before; remote URLs are checked as the
  // server's rerank.remote.urls are
  it.each([
    [{ admission: { maxQueud: 3 } }, '[options.admission.maxQueud] unknown option; did you mean maxQueued?'],
    [{ featureStore: { diskPath: '/tmp/x', diskMaxByte: 1 } }, '[options.featureStore.diskMaxByte] unknown option; did you mean diskMaxBytes?'],
    [{ bridge: { topt: 5 } }, '[options.bridge.topt] unknown option; did you mean topT?'],
    [{ chunking: { overlap: -1 } }, '[options.chunking.overlap]'],
    [{ scoreFusion: { kind: 'rav' } }, '[options.scoreFusion.kind] must be calibrated, logodds or raw'],
    [{ remoteUrls: ['ftp://x'] }, '[options.remoteUrls] must be an array of http:// or https:// URLs'],
    // `store` is the configuration's store section, checked by its schema (tier24)
    [{ store: '/tmp/x' }, "[options.store] must be an object as the configuration's store section"],
    [{ store: { disk: { pth: '/tmp/x' } } }, '[options.store.disk.pth] unknown option; did you mean path?'],
    [{ store: { disk: { path: '' } } }, '[options.store.disk.path] must be a non-empty string'],
    [{ store: { disk: { path: '/tmp/x', maxBytes: 0 } } }, '[options.store.disk.maxBytes] must be a positive integer'],
    [{ store: { redis: { url: 'http://127.0.0.1:6379' } } }, '[options.store.redis.url]'],
    [{ store: { redis: { url: 'redis://127.0.0.1:6379', ttlSeconds: -1 } } }, '[options.store.redis.ttlSeconds] must be a positive integer'],
    [{ store: { redis: { url: 'redis://127.0.0.1:6379', sentinelTls: true } } }, '[options.store.redis.sentinelTls] sentinelTls without sentinels'],
    [{ store: { redsi: {} } }, '[options.store.redsi] unknown option; did you mean redis?'],
    [{ store: { disk: { path: '/tmp/x' } }, featureStore: { diskPath: '/tmp/y' } }, '[options.featureStore] is the older spelling of store.disk: give one of them'],
  ])('new Reranker(%j) → VLR_BAD_REQUEST naming the nested key', (options, message) => {
    expect(() => new Reranker({ modelsDir: MODELS, ...options } as never)).toThrow(message);
  });

  it.each([
    [{ budget: 100 }, '[options.budget] unknown option; did you mean budgetMs?'],
    [{ recordStandIns: [true, 'x'] }, '[options.recordStandIns] must be an array of booleans'],
  ])('process(input, %j) → VLR_BAD_REQUEST naming the option', async (options, message) => {
    await expect(r.process(input, options as never)).rejects.toMatchObject({ code: 'VLR_BAD_REQUEST', message: expect.stringContaining(message) });
  });

  it('every documented option is taken', () => {
    expect(() => new Reranker({ modelsDir: MODELS, device: 'cpu', precision: { 'bge-small-en-v1.5': 'int8' }, mediaRoots: ['.'], maxDocuments: 10, fps: 1, maxFrames: 4, weights: { text_text: 2 }, ocr: false, chunking: false, framePooling: 'top3', apiBudgetMs: 0, maxConcurrentRequests: 2, featureStore: { diskPath: '/tmp/x' } })).not.toThrow();
    expect(() => new Reranker({ modelsDir: MODELS, store: { disk: { path: '/tmp/x', maxBytes: 1 << 30 }, redis: { url: 'redis://127.0.0.1:6379/0', ttlSeconds: 60, keyPrefix: 'x:' } } })).not.toThrow();
  });
});
