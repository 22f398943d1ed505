/** EngineClient.info() tells Elasticsearch from OpenSearch and reads the version, on the real engines. */
import { afterAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../../src/engine/client.js';
import { UpstreamPool } from '../../../src/proxy/pool.js';
import { upstreamSchema } from '../../../src/config/schema.js';
import { useEngine } from '../../helpers/engines.js';

const pools: UpstreamPool[] = [];
afterAll(async () => {
  for (const p of pools) await p.close();
});

function engine(url: string): EngineClient {
  const p = new UpstreamPool(upstreamSchema.parse({ urls: [url] }));
  pools.push(p);
  return new EngineClient(p);
}

describe('engine detection', () => {
  it('Elasticsearch 8.19 (where GET / answers 405)', async () => {
    expect(await engine(await useEngine('elasticsearch')).info()).toEqual({ distribution: 'elasticsearch', version: '8.19.21', major: 8 });
  });

  it('OpenSearch 2.19', async () => {
    expect(await engine(await useEngine('opensearch')).info()).toEqual({ distribution: 'opensearch', version: '2.19.6', major: 2 });
  });
});
