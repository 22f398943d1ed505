/**
 * vlrerank in front of OpenSearch 2.19 with its **security plugin** (held-out probe round 16a): TLS
 * from a private CA (`upstream.tls.ca`), internal users whose roles are what a least-privilege
 * deployment hands out, vlrerank with no credentials of its own (each client's passed through).
 * - a role that may search `p16a-*` and nothing more had every reranked search answered 403
 *   (`cluster:monitor/nodes/info`: vlrerank asked `_nodes/_local` to tell the engine);
 * - a writer of `p16a-*` without the cluster-level right to simulate index templates had every
 *   document of a `_bulk` into a new index refused (vectors added to a mapping vlrerank could not
 *   read, mapped by guess as numbers), where the engine directly stores them;
 * - a role with field-level security (the plugin refuses its updates with a 500
 *   `security_exception`) had its hits' records offered for write-back on every search, counted
 *   `failed` with a warning — now `refused`, and not offered again for a minute.
 * Skips, saying why, when the plugin cannot be fetched from Maven Central.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { EngineClient } from '../../../src/engine/client.js';
import { setupIndex } from '../../../src/engine/mapping.js';
import { UpstreamPool } from '../../../src/proxy/pool.js';
import { DATA, MODELS, REPO_ROOT } from '../../helpers/paths.js';
import { catalog, groceryDoc, pipelinesDir } from '../../helpers/search-fixtures.js';
import { SecurityPluginUnavailable, startSecureOpenSearch, USER_PASSWORD, type SecureOpenSearch } from '../../helpers/secure-opensearch.js';
import { until } from '../../helpers/until.js';

const INDEX = 'p16a-shop';
const read = (extra = '') => `  cluster_permissions: [cluster_composite_ops_ro]\n  index_permissions:\n    - index_patterns: ["p16a-*"]\n      allowed_actions: [read, "indices:admin/mappings/get", "indices:admin/resolve/index"]\n${extra}`;
const ROLES = {
  p16a_reader: read(),
  p16a_fls: read('      fls: ["~image_vector", "~image_text_vector", "~vlrerank_features", "~vlrerank_features_key"]\n'),
  p16a_writer: '  cluster_permissions: [cluster_composite_ops]\n  index_permissions:\n    - index_patterns: ["p16a-*"]\n      allowed_actions: [indices_all]\n',
};
const PIPELINE =
  readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
    .replace(/^name: grocery$/m, 'name: p16shop')
    .replace(/^index_patterns: .*$/m, 'index_patterns: [p16a-*]')
    .replace(/^budget_ms: \d+$/m, 'budget_ms: 300000') + '\nfeatures:\n  write_back: true\n';

let os: SecureOpenSearch | undefined;
let skip = '';
let srv: RunningServer;

async function proxied(user: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> {
  const r = await fetch(`${srv.url}${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${user}:${user === 'admin' ? os!.admin.password : USER_PASSWORD}`).toString('base64')}`, 'content-type': contentType },
    body: typeof body === 'string' || body === undefined ? body : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  try {
    os = await startSecureOpenSearch('p16a-sec', ROLES);
  } catch (e) {
    if (!(e instanceof SecurityPluginUnavailable)) throw e;
    skip = e.message;
    return;
  }
  srv = await startServer(
    parseConfig({
      server: { host: '127.0.0.1', port: 0, ui: false },
      upstream: { urls: [os.url], tls: { ca: os.ca } },
      log: { level: 'silent', access: false },
      models: { dir: MODELS, intraOpThreads: 2 },
      media: { roots: [DATA] },
      pipelines: { dir: pipelinesDir({ 'p16shop.yaml': PIPELINE }) },
      rerank: { admission: { maxQueueWaitMs: 300_000 } },
    }),
  );
  // the index set up by the admin (as `vlrerank index setup` with the admin's credentials: the pipeline's vectors and record mapped), 8 products without records
  const pool = new UpstreamPool(parseConfig({ upstream: { urls: [os.url.replace('https://', `https://admin:${encodeURIComponent(os.admin.password)}@`)], tls: { ca: os.ca } } }).upstream);
  await setupIndex(new EngineClient(pool), srv.services.pipelines.get('p16shop')!, INDEX);
  await pool.close();
  const nd = catalog.slice(0, 8).flatMap((d, i) => [JSON.stringify({ index: { _id: String(i) } }), JSON.stringify(groceryDoc(d))]).join('\n') + '\n';
  expect((await os.call('admin', 'POST', `/${INDEX}/_bulk?refresh=true`, nd, 'application/x-ndjson')).body.errors).toBe(false);
});

afterAll(async () => {
  await srv?.close();
  await os?.close();
});

it('a role that may only search gets its reranked search, with the hits it gets directly', async (ctx) => {
  if (skip) return ctx.skip(skip);
  const query = { size: 8, query: { match_all: {} } };
  const direct = await os!.call('p16a_reader', 'POST', `/${INDEX}/_search`, JSON.stringify(query));
  expect(direct.status).toBe(200);
  // the role may not read nodes: what vlrerank asked to tell the engine
  expect((await os!.call('p16a_reader', 'GET', '/_nodes/_local')).status).toBe(403);
  const r = await proxied('p16a_reader', 'POST', `/${INDEX}/_search`, { ...query, ext: { vlrerank: { query: { text: 'orange juice' }, window: 8 } } });
  expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
  expect(r.body.vlrerank.degraded).toBe(false);
  expect(r.body.hits.hits.map((h: any) => h._id).sort()).toEqual(direct.body.hits.hits.map((h: any) => h._id).sort());
  // its writes are the engine's 403, as directly
  const w = await proxied('p16a_reader', 'PUT', `/${INDEX}/_doc/x`, groceryDoc(catalog[9]!));
  expect(w.status).toBe(403);
  expect(w.body.error.type).toBe('security_exception');
}, 240_000);

it('a writer without rights to index templates gets its documents into a new index, told why they have no vectors', async (ctx) => {
  if (skip) return ctx.skip(skip);
  const nd = catalog.slice(10, 13).flatMap((d, i) => [JSON.stringify({ index: { _index: 'p16a-new', _id: String(i) } }), JSON.stringify(groceryDoc(d))]).join('\n') + '\n';
  const r = await proxied('p16a_writer', 'POST', '/_bulk?refresh=true', nd, 'application/x-ndjson');
  expect(r.status).toBe(200);
  expect(r.body.items.map((i: any) => i.index.status)).toEqual([201, 201, 201]);
  expect(r.body.items[0].index.vlrerank.error.reason).toMatch(/vectors not added: the engine would not show these credentials the templates/);
  const one = await proxied('p16a_writer', 'PUT', '/p16a-new2/_doc/1', groceryDoc(catalog[14]!));
  expect(one.status).toBe(201);
  expect((await os!.call('admin', 'GET', '/p16a-new/_count')).body.count).toBe(3);
}, 240_000);

it("a field-level-security role's hits are not written back: the plugin's 500 counts as refused, offered once", async (ctx) => {
  if (skip) return ctx.skip(skip);
  const outcome = async (o: string) => Number(new RegExp(`vlrerank_record_write_back_total\\{outcome="${o}"\\} (\\d+)`).exec(await (await fetch(`${srv.url}/_vlrerank/metrics`)).text())?.[1] ?? 0);
  const search = () => proxied('p16a_fls', 'POST', `/${INDEX}/_search`, { size: 4, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'apple' }, window: 8 } } });
  const first = await search();
  expect(first.status).toBe(200);
  expect(JSON.stringify(first.body)).not.toMatch(/image_vector|vlrerank_features/);
  await until(async () => (await outcome('refused')) + (await outcome('failed')) > 0, { tries: 120, everyMs: 500, what: 'the write-back' });
  expect(await outcome('failed')).toBe(0);
  const refused = await outcome('refused');
  expect(refused).toBeGreaterThan(0);
  expect((await search()).status).toBe(200);
  await new Promise((r) => setTimeout(r, 1000));
  // not offered again: counted refused at once, no second _bulk (the same count plus this search's window)
  expect(await outcome('failed')).toBe(0);
}, 240_000);
