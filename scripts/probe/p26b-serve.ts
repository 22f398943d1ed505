/**
 * Held-out probe round 26b (documents written to game the ranking): a `vlrerank serve` of this
 * worktree on Elasticsearch 8.19 (port 19510), OCR on, three pipelines over `p26b-*` copies of the
 * shipped grocery / coco / knowledge-base pipelines; `index setup` of each index. Runs until killed.
 *
 *   npx tsx scripts/probe/p26b-serve.ts
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

const UPSTREAM = process.env.P26B_UPSTREAM ?? 'http://127.0.0.1:19200';
const PORT = Number(process.env.P26B_PORT ?? 19510);
const tmp = process.env.P26B_TMP ?? mkdtempSync(join(tmpdir(), 'p26b-'));
const pdir = mkdtempSync(join(tmp, 'pipes-'));
// the shipped pipelines, renamed and pointed at the probe's indices
const copies: Array<[string, string, string]> = [['grocery', 'p26bg', 'p26b-grocery'], ['coco', 'p26bc', 'p26b-coco'], ['knowledge-base', 'p26bk', 'p26b-sci']];
for (const [from, name, index] of copies) {
  const y = readFileSync(join(REPO_ROOT, 'pipelines', `${from}.yaml`), 'utf8')
    .replace(/^name: .*$/m, `name: ${name}`)
    .replace(/^index_patterns: .*$/m, `index_patterns: [${index}]`)
    .replace(/^default: .*$/m, 'default: false')
    .replace(/^budget_ms: .*$/m, 'budget_ms: 120000');
  writeFileSync(join(pdir, `${name}.yaml`), y);
}
const srv = await startServer(
  parseConfig({
    server: { host: '127.0.0.1', port: PORT, ui: false },
    upstream: { urls: [UPSTREAM] },
    log: { level: 'warn', access: false },
    models: { dir: MODELS },
    media: { roots: [DATA, tmp] },
    pipelines: { dir: pdir, bulkBudgetMs: 0 },
    rerank: { ocr: true, admission: { maxQueueWaitMs: 300_000 } },
  }),
);
const pool = new UpstreamPool(parseConfig({ upstream: { urls: [UPSTREAM] } }).upstream);
for (const [, name, index] of copies) console.log(index, JSON.stringify(await setupIndex(new EngineClient(pool), srv.services.pipelines.get(name)!, index)).slice(0, 200));
await pool.close();
writeFileSync(join(tmp, 'ready'), srv.url);
console.log('serving', srv.url, 'tmp', tmp);
process.on('SIGTERM', () => void srv.close().then(() => process.exit(0)));
