/**
 * Held-out probe round 31g (races: many clients on the same documents at once): a vlrerank server
 * of this worktree (real models) before one engine, with two copies of the grocery pipeline —
 * `p31g` over `p31g-a*` (records and vectors at ingest) and `p31g-wb` over `p31g-w*` (the same,
 * `features.write_back: true`). Indices are made with `vlrerank index setup` (p31g-setup.sh).
 *
 *   P31G_UPSTREAM=http://127.0.0.1:19200 P31G_PORT=19940 P31G_TMP=/tmp/p31g/es npx tsx scripts/probe/p31g-serve.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server/start.js';
import { DATA, MODELS, REPO_ROOT } from '../../test/helpers/paths.js';

const UPSTREAM = process.env.P31G_UPSTREAM ?? 'http://127.0.0.1:19200';
const PORT = Number(process.env.P31G_PORT ?? 19940);
const tmp = process.env.P31G_TMP ?? '/tmp/p31g/es';
const pdir = join(tmp, 'pipes');
mkdirSync(pdir, { recursive: true });
const grocery = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8').replace(/^budget_ms: .*$/m, 'budget_ms: 120000');
const copy = (name: string, pattern: string, extra: string) => grocery.replace(/^name: .*$/m, `name: ${name}`).replace(/^index_patterns: .*$/m, `index_patterns: [${pattern}]`) + `\n${extra}\n`;
writeFileSync(join(pdir, 'p31g.yaml'), copy('p31g', 'p31g-a*', 'features: { store: index }'));
writeFileSync(join(pdir, 'p31g-wb.yaml'), copy('p31g-wb', 'p31g-w*', 'features: { store: index, write_back: true }'));
const config = { server: { host: '127.0.0.1', port: PORT, ui: false }, upstream: { urls: [UPSTREAM] }, log: { level: 'warn', access: false }, models: { dir: MODELS } };
const srv = await startServer(parseConfig({ ...config, media: { roots: [DATA, tmp] }, pipelines: { dir: pdir, bulkBudgetMs: 0 }, rerank: { admission: { maxQueueWaitMs: 300_000 } } }));
console.log('serving', srv.url, 'pipelines', pdir);
