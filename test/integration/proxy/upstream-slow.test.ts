/**
 * An upstream that does not answer within upstream.headersTimeoutMs gives the client an ES-shaped
 * 504; one that stalls after the response started gets the client connection cut after
 * upstream.bodyTimeoutMs (the status is already sent) — in neither case does the client hang.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { neverAnsweringUpstream, stallingBodyUpstream, type Fake } from '../../helpers/upstream-fakes.js';
import { startProxy } from '../../helpers/proxy.js';
import type { RunningServer } from '../../../src/server/start.js';

let silent: Fake;
let silent2: Fake;
let stalling: Fake;
let toSilent: RunningServer;
let toStalling: RunningServer;

beforeAll(async () => {
  silent = await neverAnsweringUpstream();
  silent2 = await neverAnsweringUpstream();
  stalling = await stallingBodyUpstream();
  const timeouts = { headersTimeoutMs: 400, bodyTimeoutMs: 400 };
  toSilent = await startProxy([silent.url, silent2.url], { upstream: timeouts });
  toStalling = await startProxy([stalling.url], { upstream: timeouts });
});
afterAll(async () => {
  await toSilent?.close();
  await toStalling?.close();
  await silent?.close();
  await silent2?.close();
  await stalling?.close();
});

describe('upstream slow', () => {
  it('answers 504 upstream_timeout_exception when the headers do not come in time', async () => {
    const r = await fetch(`${toSilent.url}/idx/_search`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(10_000) });
    expect(r.status).toBe(504);
    expect(await r.json()).toMatchObject({ error: { type: 'upstream_timeout_exception', vlrerank_code: 'VLR_UPSTREAM_TIMEOUT' }, status: 504 });
  });

  it('answers 504 for a request whose body was already sent (plain proxy path)', async () => {
    const r = await fetch(`${toSilent.url}/idx/_doc/1`, { method: 'PUT', body: '{"title":"x"}', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(10_000) });
    expect(r.status).toBe(504);
    expect(await r.json()).toMatchObject({ error: { type: 'upstream_timeout_exception' }, status: 504 });
  });

  it('does not retry a timed-out request on the other node (it may still run upstream)', async () => {
    const before = silent.hits + silent2.hits;
    const r = await fetch(`${toSilent.url}/_cluster/health`, { signal: AbortSignal.timeout(10_000) });
    expect(r.status).toBe(504);
    expect(silent.hits + silent2.hits - before).toBe(1);
  });

  it('cuts the client connection when the body stalls after the headers', async () => {
    const r = await request(`${toStalling.url}/idx/_search`, { method: 'GET', signal: AbortSignal.timeout(10_000) });
    expect(r.statusCode).toBe(200);
    await expect(r.body.text()).rejects.toThrow(/other side closed|terminated|socket|aborted/i);
  });
});
