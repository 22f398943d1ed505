/**
 * EngineClient.info() tells Elasticsearch from OpenSearch and reads the version, on every real engine
 * version, with the product headers the engine writes on every answer (vlrerank's own answers carry
 * them: `x-elastic-product` on Elasticsearch, OpenSearch 3.x's `X-OpenSearch-Version`, none on 2.x).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../../src/engine/client.js';
import { UpstreamPool } from '../../../src/proxy/pool.js';
import { upstreamSchema } from '../../../src/config/schema.js';
import { ALL_VERSIONS, useEngine, type EngineName } from '../../helpers/engines.js';

const pools: UpstreamPool[] = [];
afterAll(async () => {
  for (const p of pools) await p.close();
});

function engine(url: string): EngineClient {
  const p = new UpstreamPool(upstreamSchema.parse({ urls: [url] }));
  pools.push(p);
  return new EngineClient(p);
}

/** What each engine must be detected as (GET / answers 405 on both thin Elasticsearch builds). */
const EXPECTED: Record<EngineName, { distribution: string; version: string; major: number; productHeaders: Record<string, string> }> = {
  elasticsearch: { distribution: 'elasticsearch', version: '8.19.21', major: 8, productHeaders: { 'x-elastic-product': 'Elasticsearch' } },
  elasticsearch9: { distribution: 'elasticsearch', version: '9.2.0', major: 9, productHeaders: { 'x-elastic-product': 'Elasticsearch' } },
  opensearch: { distribution: 'opensearch', version: '2.19.6', major: 2, productHeaders: {} },
  opensearch3: { distribution: 'opensearch', version: '3.6.0', major: 3, productHeaders: { 'x-opensearch-version': 'OpenSearch/3.6.0 (opensearch)' } },
};

describe('engine detection', () => {
  it.each(ALL_VERSIONS)('%s', async (name) => {
    expect(await engine(await useEngine(name)).info()).toEqual(EXPECTED[name]);
  });
});
