/**
 * A cluster losing nodes, as the pool sees it (held-out probe round 17a, a 3-node Elasticsearch
 * 8.19 cluster): a request meets every node that refuses connections before one that answers, and
 * a frozen node (SIGSTOP: it accepts connections, never answers) is skipped after its first headers
 * time-out instead of taking its round-robin share of every request. Faults played by fakes named
 * after them (test/helpers/upstream-fakes.ts); the probe ran them against real nodes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { upstreamSchema } from '../../../src/config/schema.js';
import { EngineClient } from '../../../src/engine/client.js';
import { VlrerankError } from '../../../src/errors.js';
import { UpstreamPool } from '../../../src/proxy/pool.js';
import { headerEchoUpstream, neverAnsweringUpstream, refusedUpstream, type Fake } from '../../helpers/upstream-fakes.js';

const open: Array<Fake | UpstreamPool> = [];
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
});

function pool(urls: string[], more: Record<string, unknown> = {}): UpstreamPool {
  const p = new UpstreamPool(upstreamSchema.parse({ urls, connectTimeoutMs: 2000, headersTimeoutMs: 5000, ...more }));
  open.push(p);
  return p;
}

describe('a cluster losing nodes', () => {
  it('tries every other node when two of three refuse connections (one killed, one restarting)', async () => {
    const live = await headerEchoUpstream();
    open.push(live);
    const p = pool([await refusedUpstream(), await refusedUpstream(), live.url]);
    // each round-robin start: the live node first, after one refusal, and after two
    for (let i = 0; i < 6; i++) {
      const r = await new EngineClient(p).json('PUT', `/p17a-${i}`, { settings: {} });
      expect(r.statusCode).toBe(200);
    }
    expect(live.hits).toBe(6);
  });

  it('gives up, naming the last node, once every node refused', async () => {
    const p = pool([await refusedUpstream(), await refusedUpstream(), await refusedUpstream()]);
    const err = await p.request({ method: 'GET', path: '/_cluster/health' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VlrerankError);
    expect((err as VlrerankError).code).toBe('VLR_UPSTREAM_UNREACHABLE');
  });

  it('skips a frozen node after its first headers time-out, and does not resend the request it held', async () => {
    const frozen = await neverAnsweringUpstream();
    const live = await headerEchoUpstream();
    open.push(frozen, live);
    const p = pool([frozen.url, live.url], { headersTimeoutMs: 300 });
    const statuses: Array<number | string> = [];
    // (the node is skipped for its first back-off, 500 ms: these searches to a loopback node take a few)
    for (let i = 0; i < 4; i++) {
      const r = await p.request({ method: 'POST', path: '/idx/_search', body: '{}' }).then(
        async (res) => (await res.body.dump(), res.statusCode),
        (e: unknown) => (e as VlrerankError).code,
      );
      statuses.push(r);
    }
    // the first search met the frozen node: its 504 (not resent: it may be running there); the
    // rest went to the live node — before, every other search waited the time-out and failed
    expect(statuses).toEqual(['VLR_UPSTREAM_TIMEOUT', 200, 200, 200]);
    expect(frozen.hits).toBe(1);
    expect(live.hits).toBe(3);
  });
});
