/**
 * Which engine a 403 to `_nodes/_local` tells (src/engine/client.ts `engineOfRefusal`, held-out probe
 * round 16a): only a refusal that says so beyond doubt — a product header, or the OpenSearch
 * security plugin's own refusal as it answered a search-only role in the round — never a gateway's bare 403.
 */
import { expect, it } from 'vitest';
import { engineRefusal } from '../../../src/engine/auth-refusal.js';
import { engineOfRefusal } from '../../../src/engine/client.js';

// as OpenSearch 2.19.6 with the security plugin 2.19.4.0 answered `GET /_nodes/_local` for a role with `read` on an index pattern only
const plugin403 = JSON.stringify({
  error: {
    root_cause: [{ type: 'security_exception', reason: 'no permissions for [cluster:monitor/nodes/info] and User [name=p16a_reader, backend_roles=[], requestedTenant=null]' }],
    type: 'security_exception',
    reason: 'no permissions for [cluster:monitor/nodes/info] and User [name=p16a_reader, backend_roles=[], requestedTenant=null]',
  },
  status: 403,
});

it("the security plugin's refusal tells OpenSearch, its version unknown", () => {
  const e = engineOfRefusal(engineRefusal(403, { 'content-type': 'application/json' }, plugin403));
  expect(e?.distribution).toBe('opensearch');
  expect(e?.version).toBe('unknown');
});

it('a product header tells the engine: Elasticsearch, or OpenSearch 3 with its version', () => {
  expect(engineOfRefusal(engineRefusal(403, { 'x-elastic-product': 'Elasticsearch' }, '{}'))?.distribution).toBe('elasticsearch');
  const os3 = engineOfRefusal(engineRefusal(403, { 'x-opensearch-version': 'OpenSearch/3.6.0 (opensearch)' }, 'Forbidden'));
  expect(os3).toMatchObject({ distribution: 'opensearch', version: '3.6.0', major: 3, productHeaders: { 'x-opensearch-version': 'OpenSearch/3.6.0 (opensearch)' } });
});

it("a gateway's 403, or another security_exception, tells nothing", () => {
  expect(engineOfRefusal(engineRefusal(403, { 'content-type': 'text/html' }, '<html><body><h1>403 Forbidden</h1></body></html>'))).toBeUndefined();
  expect(engineOfRefusal(engineRefusal(403, {}, JSON.stringify({ error: { type: 'security_exception', reason: 'action [cluster:monitor/nodes/info] is unauthorized for user [bob]' }, status: 403 })))).toBeUndefined();
  expect(engineOfRefusal(engineRefusal(403, {}, ''))).toBeUndefined();
});
