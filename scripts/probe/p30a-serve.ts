/**
 * Held-out probe round 30a (a cluster that answers only in part): a `vlrerank serve` of this worktree (real models)
 * before one engine, the grocery pipeline copied (`p30a` over `p30a-*`).
 *
 *   P30A_UPSTREAM=http://127.0.0.1:19200 P30A_PORT=19780 P30A_TMP=/tmp/p30a/es9 npx tsx scripts/probe/p30a-serve.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server/start.js';
import { DATA, MODELS, REPO_ROOT } from '../../test/helpers/paths.js';

const UPSTREAM = process.env.P30A_UPSTREAM ?? 'http://127.0.0.1:19200';
const PORT = Number(process.env.P30A_PORT ?? 19780);
const tmp = process.env.P30A_TMP ?? '/tmp/p30a/x';
const pdir = join(tmp, 'pipes');
mkdirSync(pdir, { recursive: true });
const copy = (file: string, name: string, pattern: string, extra: string) => {
  const base = readFileSync(join(REPO_ROOT, 'pipelines', file), 'utf8').replace(/^budget_ms: .*$/m, 'budget_ms: 120000');
  writeFileSync(join(pdir, `${name}.yaml`), `${base.replace(/^name: .*$/m, `name: ${name}`).replace(/^index_patterns: .*$/m, `index_patterns: [${pattern}]`)}\n${extra}\n`);
};
copy('grocery.yaml', 'p30a', 'p30a-*', '');
const config = { server: { host: '127.0.0.1', port: PORT, ui: false }, upstream: { urls: [UPSTREAM] }, log: { level: 'warn', access: false }, models: { dir: MODELS } };
const srv = await startServer(parseConfig({ ...config, media: { roots: [DATA, tmp] }, pipelines: { dir: pdir, bulkBudgetMs: 0 }, rerank: { admission: { maxQueueWaitMs: 300_000 } } }));
writeFileSync(join(tmp, 'ready'), srv.url);
console.log('serving', srv.url, 'tmp', tmp);
process.on('SIGTERM', () => void srv.close().then(() => process.exit(0)));
