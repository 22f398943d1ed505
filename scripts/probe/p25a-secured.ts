/**
 * Held-out probe round 25a (what an answer reveals, and to whom) on OpenSearch 2.19 with its
 * security plugin (test/helpers/secure-opensearch.ts: a node of the script's own), vlrerank in
 * process (port 19543) with no credentials of its own, a disk tier; `p25a-sec` (12 grocery products,
 * each with a `body` and `secret` marked SECRETBODYn/SECRETFIELDn, `public` on even ids), set up by
 * the admin with the record field, record write-back on. Users: p25a_all (reads p25a-*), p25a_fls
 * (reads, body/secret/image hidden, records visible), p25a_fls2 (and records hidden), p25a_dls
 * (only `public: true`), p25a_writer (writes p25a-w only). Each search is asked of vlrerank and of the
 * engine directly as the same user; the reranked answer is searched for what the direct one lacks.
 *
 *   npx tsx scripts/probe/p25a-secured.ts
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server/start.js';
import { EngineClient } from '../../src/engine/client.js';
import { setupIndex } from '../../src/engine/mapping.js';
import { UpstreamPool } from '../../src/proxy/pool.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';
import { catalog, GROCERY_DIR } from '../../test/helpers/search-fixtures.js';
import { startSecureOpenSearch, USER_PASSWORD } from '../../test/helpers/secure-opensearch.js';

const INDEX = 'p25a-sec';
const perms = (extra = '') => `  cluster_permissions: [cluster_composite_ops_ro]\n  index_permissions:\n    - index_patterns: ["p25a-*"]\n      allowed_actions: [read, "indices:admin/mappings/get", "indices:admin/resolve/index"]\n${extra}`;
const ROLES = {
  p25a_all: perms(),
  p25a_fls: perms('      fls: ["~body", "~secret", "~image"]\n'),
  p25a_fls2: perms('      fls: ["~body", "~secret", "~image", "~vlrerank_features", "~vlrerank_features_key"]\n'),
  p25a_dls: perms('      dls: \'{"term": {"public": true}}\'\n'),
  p25a_writer: '  cluster_permissions: [cluster_composite_ops]\n  index_permissions:\n    - index_patterns: ["p25a-w*"]\n      allowed_actions: [indices_all]\n    - index_patterns: ["p25a-sec"]\n      allowed_actions: [read]\n',
};
const PIPELINE = `name: p25asec
index_patterns: [p25a-*]
fields:
  text: [title, body]
  image: [image]
window: { default: 12, max: 50 }
budget_ms: 300000
failure: fail_open
features:
  write_back: true
`;
const os = await startSecureOpenSearch('p25a-sec', ROLES);
const pdir = mkdtempSync(join(tmpdir(), 'p25a-pipes-'));
writeFileSync(join(pdir, 'p25asec.yaml'), PIPELINE);
const srv = await startServer(
  parseConfig({
    server: { host: '127.0.0.1', port: 19543, ui: false },
    upstream: { urls: [os.url], tls: { ca: os.ca } },
    log: { level: 'info', access: false },
    models: { dir: MODELS, intraOpThreads: 2 },
    media: { roots: [DATA] },
    pipelines: { dir: pdir, bulkBudgetMs: 0 },
    store: { disk: { path: mkdtempSync(join(tmpdir(), 'p25a-store-')) } },
    rerank: { admission: { maxQueueWaitMs: 300_000 } },
  }),
);
const auth = (u: string) => `Basic ${Buffer.from(`${u}:${u === 'admin' ? os.admin.password : USER_PASSWORD}`).toString('base64')}`;
async function call(base: string, user: string, method: string, path: string, body?: unknown, ct = 'application/json') {
  const r = await fetch(base + path, { method, headers: { authorization: auth(user), 'content-type': ct }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, text, json: text ? JSON.parse(text) : undefined };
}
const direct = (user: string, method: string, path: string, body?: unknown, ct?: string) => os.call(user, method, path, typeof body === 'string' || body === undefined ? body : JSON.stringify(body), ct).then((r) => ({ ...r, text: JSON.stringify(r.body) }));
const proxied = (user: string, method: string, path: string, body?: unknown, ct?: string) => call(srv.url, user, method, path, body, ct);

try {
  const pool = new UpstreamPool(parseConfig({ upstream: { urls: [os.url.replace('https://', `https://admin:${encodeURIComponent(os.admin.password)}@`)], tls: { ca: os.ca } } }).upstream);
  await setupIndex(new EngineClient(pool), srv.services.pipelines.get('p25asec')!, INDEX);
  await pool.close();
  const docs = catalog.slice(0, 12).map((c, i) => ({ title: c.title, body: `SECRETBODY${i} ${c.description}`, secret: `SECRETFIELD${i}`, image: join(GROCERY_DIR, c.iconic_image), public: i % 2 === 0 }));
  const nd = docs.flatMap((d, i) => [JSON.stringify({ index: { _id: String(i) } }), JSON.stringify(d)]).join('\n') + '\n';
  const b = await proxied('admin', 'POST', `/${INDEX}/_bulk?refresh=true`, nd, 'application/x-ndjson');
  console.log('bulk as admin through vlrerank', b.status, b.json?.errors, JSON.stringify(b.json?.items?.[0]).slice(0, 300));

  const leak = /SECRETBODY\d+|SECRETFIELD\d+|grocery-store-products[^"]*|iconic-images[^"]*/g;
  const marks = (s: string) => [...new Set(s.match(leak) ?? [])].map((m) => m.slice(0, 40));
  const q = (explain: boolean, extra: Record<string, unknown> = {}) => ({ size: 12, query: { match_all: {} }, ...extra, ext: { vlrerank: { query: { text: 'orange juice' }, explain } } });
  for (const user of ['p25a_all', 'p25a_fls', 'p25a_fls2', 'p25a_dls', 'p25a_writer'])
    for (const explain of [false, true])
      for (const [name, extra] of [['default', {}], ['stored_fields rec', { stored_fields: ['_source', 'vlrerank_features'] }], ['fields *', { fields: ['*'] }]] as const) {
        const d = await direct(user, 'POST', `/${INDEX}/_search`, { ...q(false, extra), ext: undefined });
        const r = await proxied(user, 'POST', `/${INDEX}/_search`, q(explain, extra));
        const extraMarks = marks(r.text).filter((m) => !marks(d.text).includes(m));
        const ids = (x: any) => (x?.hits?.hits ?? []).map((h: any) => h._id).sort().join(',');
        console.log(user.padEnd(12), explain ? 'explain' : 'plain  ', name.padEnd(18), 'direct', d.status, ids(d.body), '| vlrerank', r.status, ids(r.json), r.json?.vlrerank?.degraded, 'more than direct:', extraMarks.join(' ') || '-');
        if (explain && name === 'default' && process.env.P25A_SHOW) console.log(JSON.stringify(r.json?.hits?.hits?.[0]?._vlrerank).slice(0, 1500), JSON.stringify(r.json?.vlrerank).slice(0, 600));
      }
  // write-back outcomes, and whether a user's view let it write
  const m = await (await fetch(`${srv.url}/_vlrerank/metrics`)).text();
  console.log(m.split('\n').filter((l) => /write_back_total|feature_lookups_total\{tier="disk"/.test(l)).join('\n'));
  // the writer: an index it writes, a document holding another's photo and a forged record
  const rec = await direct('admin', 'POST', `/${INDEX}/_search`, JSON.stringify({ size: 1, query: { ids: { values: ['3'] } }, stored_fields: ['_source', 'vlrerank_features', 'vlrerank_features_key'] }));
  console.log('record of doc 3 (admin):', JSON.stringify(rec.body?.hits?.hits?.[0]?.fields ?? {}).slice(0, 200));
} finally {
  await srv.close();
  await os.close();
}
