/**
 * A document whose image path is a directory is not silently scored on its text alone (issue 13):
 * without `explain`, the Cohere-compatible answer says so in `meta.warnings` and `errors`, the
 * native one in `errors`, and both in an `x-vlrerank-document-errors` header — the document is
 * still ranked (on its text), the request does not fail. Real server, real models, real data dir.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { DATA } from '../../helpers/paths.js';
import { startRerankServer } from '../../helpers/rerank-server.js';

const DIR = join(DATA, 'grocery-store-products');
let srv: RunningServer;

beforeAll(async () => {
  srv = await startRerankServer();
});
afterAll(async () => {
  await srv?.close();
});

const post = (path: string, body: unknown) => fetch(srv.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

it('/v1/rerank: a directory as an image → a warning and an error the client sees, without explain', async () => {
  const r = await post('/v1/rerank', { query: 'oat milk', documents: [{ text: 'oat drink', image: DIR }, 'a red apple'] });
  expect(r.status).toBe(200);
  expect(r.headers.get('x-vlrerank-document-errors')).toBe('1');
  const b = (await r.json()) as { results: Array<{ index: number }>; meta: { warnings?: string[] }; errors?: Array<{ index: number; reason: string }> };
  expect(b.results.map((x) => x.index).sort()).toEqual([0, 1]);
  expect(b.meta.warnings).toEqual([expect.stringMatching(/^documents\[0\] scored without its media: .*not a regular file/)]);
  expect(b.errors).toEqual([expect.objectContaining({ index: 0, reason: expect.stringContaining('not a regular file') })]);
});

it('/_vlrerank/rerank: the same error in `errors`', async () => {
  const r = await post('/_vlrerank/rerank', { query: { text: 'oat milk' }, documents: [{ text: 'a red apple' }, { text: 'oat drink', image: DIR }] });
  expect(r.status).toBe(200);
  expect(r.headers.get('x-vlrerank-document-errors')).toBe('1');
  const b = (await r.json()) as { errors: Array<{ index: number; code: string }> };
  expect(b.errors).toEqual([expect.objectContaining({ index: 1, code: expect.stringMatching(/^VLR_/) })]);
});

it('no warning when every medium is read', async () => {
  const r = await post('/v1/rerank', { query: 'oat milk', documents: ['oat drink', 'a red apple'] });
  expect(r.status).toBe(200);
  expect(r.headers.get('x-vlrerank-document-errors')).toBeNull();
  const b = (await r.json()) as { meta: { warnings?: string[] }; errors?: unknown };
  expect(b.meta.warnings).toBeUndefined();
  expect(b.errors).toBeUndefined();
});
