/**
 * Held-out probe round 29a (an app's existing search bodies, only the rerank added): a `vlrerank
 * serve` of this worktree (real models) before one engine, `pipelines/grocery.yaml` copied as `p29a`
 * over `p29a-*`; `index setup` of `p29a-g`, then the 81 products written through it with the fields
 * a shop's bodies use beside the pipeline's (`coarse`, `category`, a `price` to sort and average).
 *
 *   P29A_UPSTREAM=http://127.0.0.1:19200 P29A_PORT=19660 npx tsx scripts/probe/p29a-serve.ts
 *   (P29A_NOINDEX=1: the index is there; P29A_DEFAULT=1: the pipeline is the index's default)
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server/start.js';
import { EngineClient } from '../../src/engine/client.js';
import { setupIndex } from '../../src/engine/mapping.js';
import { UpstreamPool } from '../../src/proxy/pool.js';
import { DATA, MODELS, REPO_ROOT } from '../../test/helpers/paths.js';

const env = { upstream: process.env.P29A_UPSTREAM ?? 'http://127.0.0.1:19200', port: Number(process.env.P29A_PORT ?? 19660), isDefault: !!process.env.P29A_DEFAULT };
const dir = mkdtempSync(join(tmpdir(), 'p29a-'));
const yaml = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8').replace(/^name: .*$/m, 'name: p29a').replace(/^index_patterns: .*$/m, 'index_patterns: [p29a-*]').replace(/^default: false$/m, `default: ${env.isDefault}`);
writeFileSync(join(dir, 'p29a.yaml'), yaml);
const srv = await startServer(
  parseConfig({ server: { host: '127.0.0.1', port: env.port, ui: false }, upstream: { urls: [env.upstream] }, log: { level: 'warn', access: false }, models: { dir: MODELS }, media: { roots: [DATA] }, pipelines: { dir, bulkBudgetMs: 0 } }),
);

interface Row { title: string; description: string; iconic_image: string; class_name: string; coarse_class_name: string; top_category: string; class_id: number }
async function load(): Promise<void> {
  const pool = new UpstreamPool(parseConfig({ upstream: { urls: [env.upstream] } }).upstream);
  const setup = await setupIndex(new EngineClient(pool), srv.services.pipelines.get('p29a')!, 'p29a-g');
  console.log(JSON.stringify(setup).slice(0, 160));
  await pool.close();
  const root = join(DATA, 'grocery-store-products');
  const rows = readFileSync(join(root, 'catalog.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
  const doc = (r: Row) => ({ title: r.title, description: r.description, image: join(root, r.iconic_image), class_name: r.class_name, coarse: r.coarse_class_name, category: r.top_category, price: 4.99 + ((r.class_id * 37) % 50) / 2 });
  for (let at = 0; at < rows.length; at += 27) {
    const lines = rows.slice(at, at + 27).flatMap((r) => [{ index: { _index: 'p29a-g', _id: r.class_name } }, doc(r)]);
    const res = await fetch(`${srv.url}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines.map((l) => JSON.stringify(l) + '\n').join('') });
    console.log(at, res.status, ((await res.json()) as { errors: boolean }).errors);
  }
}
if (!process.env.P29A_NOINDEX) await load();
console.log('serving', srv.url, 'tmp', dir);
process.on('SIGTERM', () => void srv.close().then(() => process.exit(0)));
