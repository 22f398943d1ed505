/**
 * `backend: both` whose remote workers all fail answers 200 on the local signals — and now says so
 * without `explain` (held-out probe round 13g, left; fix14): `/_vlrerank/rerank` in its body's
 * `remote_error` (`{code, reason}`, beside `errors` for unreadable documents). Before, only an
 * explanation's `remote` signal said it. Only this API (and `process()`) takes `both`: a pipeline's
 * `scorer.backend` is `local` or `remote` (refused at load otherwise), and the compatible APIs'
 * bodies name no backend. The fault: a worker URL nothing listens on (REFUSED_PORT: a fixed port
 * above 1024, such as 19739 before, may be any other process's on a shared machine). Real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { REFUSED_PORT } from '../../helpers/ports.js';
import { startRerankServer } from '../../helpers/rerank-server.js';

const NOBODY = `http://127.0.0.1:${REFUSED_PORT}`;

describe('backend both, every remote worker down', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startRerankServer({ 'rerank.warmup': false, 'store.disk.path': 'off', 'rerank.remote.urls': [NOBODY] });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('/_vlrerank/rerank: 200 on the local signals, remote_error says why', async () => {
    const res = await fetch(`${srv.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'a pie', documents: ['honey cake', 'apple pie'], backend: 'both' }) });
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.results[0].index).toBe(1);
    expect(body.remote_error).toMatchObject({ code: expect.stringMatching(/^VLR_/), reason: expect.stringContaining(`127.0.0.1:${REFUSED_PORT}`) });
    // the same call on the local backend alone says nothing of workers
    const local = (await (await fetch(`${srv.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'a pie', documents: ['honey cake', 'apple pie'] }) })).json()) as any;
    expect(local.remote_error).toBeUndefined();
  });
});
