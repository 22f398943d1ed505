/**
 * Readiness of a replica whose cluster nodes answer searches but have no elected master (held-out
 * probe round 17a: two of three master-eligible Elasticsearch 8.19 nodes killed — the third served
 * every search, directly and through vlrerank, while `/_vlrerank/health?ready` answered 503 "no
 * cluster node reachable (…: UND_ERR_HEADERS_TIMEOUT)": its probe, `GET /_cluster/health`, waits
 * for a master). The node is reachable, and says `red`. The fault played by a fake named after it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { health } from '../../../src/api/health.js';
import { upstreamSchema } from '../../../src/config/schema.js';
import { EngineClient } from '../../../src/engine/client.js';
import { UpstreamPool } from '../../../src/proxy/pool.js';
import { masterlessNodeUpstream, type Fake } from '../../helpers/upstream-fakes.js';

const open: Array<Fake | UpstreamPool> = [];
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
});

describe('health with no elected master', () => {
  it('calls a node that answers from its own state reachable, shows the cluster red, and stays ready', async () => {
    const node = await masterlessNodeUpstream();
    const pool = new UpstreamPool(upstreamSchema.parse({ urls: [node.url], headersTimeoutMs: 5000 }));
    open.push(node, pool);
    const engine = new EngineClient(pool);
    expect(await engine.probe(500)).toEqual([expect.objectContaining({ node: node.url, reachable: true, status: 200, cluster: 'red' })]);
    const ready = await health({ engine, startedAt: performance.now(), probeTimeoutMs: 500 }, 'ready');
    expect(ready).toEqual({ status: 200, body: { ready: true } });
  });
});
