/**
 * Held-out probe round 28a (retriever trees, hybrid queries with a rerank inside): a `vlrerank serve`
 * of this worktree (real models) before one engine, the grocery pipeline copied as `p28a` over
 * `p28a-*`; `index setup` of `p28a-g`, then the 81 products written through it.
 *
 *   P28A_UPSTREAM=http://127.0.0.1:19200 P28A_PORT=19640 npx tsx scripts/probe/p28a-serve.ts
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server/start.js';
import { EngineClient } from '../../src/engine/client.js';
import { setupIndex } from '../../src/engine/mapping.js';
import { UpstreamPool } from '../../src/proxy/pool.js';
import { DATA, MODELS, REPO_ROOT } from '../../test/helpers/paths.js';

const UPSTREAM = process.env.P28A_UPSTREAM ?? 'http://127.0.0.1:19200';
const PORT = Number(process.env.P28A_PORT ?? 19640);
const tmp = mkdtempSync(join(tmpdir(), 'p28a-'));
const pdir = join(tmp, 'pipes');
mkdirSync(pdir, { recursive: true });
const y = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
  .replace(/^name: .*$/m, 'name: p28a')
  .replace(/^index_patterns: .*$/m, 'index_patterns: [p28a-*]');
writeFileSync(join(pdir, 'p28a.yaml'), y);
const config = { server: { host: '127.0.0.1', port: PORT, ui: false }, upstream: { urls: [UPSTREAM] }, log: { level: 'warn', access: false }, models: { dir: MODELS } };
const srv = await startServer(parseConfig({ ...config, media: { roots: [DATA] }, pipelines: { dir: pdir, bulkBudgetMs: 0 } }));
if (!process.env.P28A_NOINDEX) {
  const pool = new UpstreamPool(parseConfig({ upstream: { urls: [UPSTREAM] } }).upstream);
  console.log(JSON.stringify(await setupIndex(new EngineClient(pool), srv.services.pipelines.get('p28a')!, 'p28a-g')).slice(0, 200));
  await pool.close();
  const root = join(DATA, 'grocery-store-products');
  const rows = readFileSync(join(root, 'catalog.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { title: string; description: string; iconic_image: string; class_name: string });
  for (let at = 0; at < rows.length; at += 27) {
    const nd = rows
      .slice(at, at + 27)
      .map((r) => `${JSON.stringify({ index: { _index: 'p28a-g', _id: r.class_name } })}\n${JSON.stringify({ title: r.title, description: r.description, image: join(root, r.iconic_image), class_name: r.class_name })}\n`)
      .join('');
    const r = await fetch(`${srv.url}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
    const j = (await r.json()) as { errors: boolean; items: unknown[] };
    console.log(at, r.status, j.errors, j.items?.length);
  }
}
console.log('serving', srv.url, 'tmp', tmp);
process.on('SIGTERM', () => void srv.close().then(() => process.exit(0)));
