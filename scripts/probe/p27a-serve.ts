/**
 * Held-out probe round 27a (a catalog that changes under the searches): a `vlrerank serve` of this
 * worktree (real models) before one engine, the grocery pipeline copied as `p27a` over `p27a-*`
 * with `features.store: index`; `index setup` of `p27a-g`, then the 81 products written through
 * it with their photos copied into the run's temp folder (the probes replace those copies).
 *
 *   P27A_UPSTREAM=http://127.0.0.1:19200 P27A_PORT=19580 npx tsx scripts/probe/p27a-serve.ts
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server/start.js';
import { EngineClient } from '../../src/engine/client.js';
import { setupIndex } from '../../src/engine/mapping.js';
import { UpstreamPool } from '../../src/proxy/pool.js';
import { DATA, MODELS, REPO_ROOT } from '../../test/helpers/paths.js';

const UPSTREAM = process.env.P27A_UPSTREAM ?? 'http://127.0.0.1:19200';
const PORT = Number(process.env.P27A_PORT ?? 19580);
const tmp = process.env.P27A_TMP ?? mkdtempSync(join(tmpdir(), 'p27a-'));
const pdir = join(tmp, 'pipes');
mkdirSync(pdir, { recursive: true });
const y = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
  .replace(/^name: .*$/m, 'name: p27a')
  .replace(/^index_patterns: .*$/m, 'index_patterns: [p27a-*]')
  .replace(/^budget_ms: .*$/m, 'budget_ms: 120000');
writeFileSync(join(pdir, 'p27a.yaml'), `${y}\nfeatures: { store: index }\n`);
// the round's server: its pipelines folder, the photos' temp folder among the media roots, no `_bulk` budget
const config = { server: { host: '127.0.0.1', port: PORT, ui: false }, upstream: { urls: [UPSTREAM] }, log: { level: 'warn', access: false }, models: { dir: MODELS } };
const srv = await startServer(parseConfig({ ...config, media: { roots: [DATA, tmp] }, pipelines: { dir: pdir, bulkBudgetMs: 0 }, rerank: { admission: { maxQueueWaitMs: 300_000 } } }));
const pool = new UpstreamPool(parseConfig({ upstream: { urls: [UPSTREAM] } }).upstream);
console.log(JSON.stringify(await setupIndex(new EngineClient(pool), srv.services.pipelines.get('p27a')!, 'p27a-g')).slice(0, 200));
await pool.close();
const root = join(DATA, 'grocery-store-products');
const rows = readFileSync(join(root, 'catalog.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { title: string; description: string; iconic_image: string; class_name: string });
mkdirSync(join(tmp, 'photos'), { recursive: true });
for (let at = 0; at < rows.length; at += 27) {
  const nd = rows
    .slice(at, at + 27)
    .map((r) => {
      const photo = join(tmp, 'photos', `${r.class_name}.jpg`);
      copyFileSync(join(root, r.iconic_image), photo);
      return `${JSON.stringify({ index: { _index: 'p27a-g', _id: r.class_name } })}\n${JSON.stringify({ title: r.title, description: r.description, image: photo })}\n`;
    })
    .join('');
  const r = await fetch(`${srv.url}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
  const j = (await r.json()) as { errors: boolean; items: unknown[] };
  console.log(at, r.status, j.errors, j.items?.length);
}
writeFileSync(join(tmp, 'ready'), srv.url);
console.log('serving', srv.url, 'tmp', tmp);
process.on('SIGTERM', () => void srv.close().then(() => process.exit(0)));
