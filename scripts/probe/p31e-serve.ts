/**
 * Held-out probe round 31e (endpoints beside `_search` that take a search body): a `vlrerank serve`
 * of this worktree (real models) before one engine — the knowledge-base pipeline copied as
 * `p31e-kb` (default: true, over `p31e-kb*`) and `p31e-nd` (not default, over `p31e-nd*`).
 *
 *   P31E_UPSTREAM=http://127.0.0.1:19200 P31E_PORT=19900 P31E_TMP=/tmp/p31e/es npx tsx scripts/probe/p31e-serve.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server/start.js';
import { DATA, MODELS, REPO_ROOT } from '../../test/helpers/paths.js';

const UPSTREAM = process.env.P31E_UPSTREAM ?? 'http://127.0.0.1:19200';
const PORT = Number(process.env.P31E_PORT ?? 19900);
const tmp = process.env.P31E_TMP ?? '/tmp/p31e/x';
const pdir = join(tmp, 'pipes');
mkdirSync(pdir, { recursive: true });
const base = readFileSync(join(REPO_ROOT, 'pipelines', 'knowledge-base.yaml'), 'utf8').replace(/^budget_ms: .*$/m, 'budget_ms: 120000').replace(/^features: .*$/m, '');
const copy = (name: string, pattern: string, dflt: boolean) =>
  writeFileSync(join(pdir, `${name}.yaml`), base.replace(/^name: .*$/m, `name: ${name}`).replace(/^index_patterns: .*$/m, `index_patterns: [${pattern}]`).replace(/^default: .*$/m, `default: ${dflt}`).replace(/^window: .*$/m, 'window: { default: 20, max: 50 }'));
copy('p31e-kb', 'p31e-kb*', true);
copy('p31e-nd', 'p31e-nd*', false);
const config = { server: { host: '127.0.0.1', port: PORT, ui: false }, upstream: { urls: [UPSTREAM] }, log: { level: 'warn', access: false }, models: { dir: MODELS } };
const srv = await startServer(parseConfig({ ...config, media: { roots: [DATA, tmp] }, pipelines: { dir: pdir, bulkBudgetMs: 0 } }));
writeFileSync(join(tmp, 'ready'), srv.url);
console.log('serving', srv.url, 'tmp', tmp);
process.on('SIGTERM', () => void srv.close().then(() => process.exit(0)));
