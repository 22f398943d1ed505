/**
 * Held-out probe round 31c (a search's URL parameters, a strict client): a `vlrerank serve` of this
 * worktree (real models) before one engine; two pipelines copied from knowledge-base: `p31c-kb`
 * (`default: true` over `p31c-kb*`) and `p31c-named` (not default, over `p31c-nd*`), window 20/50.
 *
 *   P31C_UPSTREAM=http://127.0.0.1:19200 P31C_PORT=19860 P31C_TMP=/tmp/p31c/es8 npx tsx scripts/probe/p31c-serve.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server/start.js';
import { DATA, MODELS, REPO_ROOT } from '../../test/helpers/paths.js';

const UPSTREAM = process.env.P31C_UPSTREAM ?? 'http://127.0.0.1:19200';
const PORT = Number(process.env.P31C_PORT ?? 19860);
const tmp = process.env.P31C_TMP ?? '/tmp/p31c/x';
const pdir = join(tmp, 'pipes');
mkdirSync(pdir, { recursive: true });
const base = readFileSync(join(REPO_ROOT, 'pipelines', 'knowledge-base.yaml'), 'utf8')
  .replace(/^window: .*$/m, 'window: { default: 20, max: 50 }')
  .replace(/^features: .*$/m, '')
  .replace(/^budget_ms: .*$/m, 'budget_ms: 120000');
const copy = (name: string, pattern: string, dflt: boolean) =>
  writeFileSync(join(pdir, `${name}.yaml`), base.replace(/^name: .*$/m, `name: ${name}`).replace(/^index_patterns: .*$/m, `index_patterns: [${pattern}]`).replace(/^default: .*$/m, `default: ${dflt}`));
copy('p31c-kb', 'p31c-kb*', true);
copy('p31c-named', 'p31c-nd*', false);
const config = { server: { host: '127.0.0.1', port: PORT, ui: false }, upstream: { urls: [UPSTREAM] }, log: { level: 'warn', access: false }, models: { dir: MODELS } };
const srv = await startServer(parseConfig({ ...config, media: { roots: [DATA, tmp] }, pipelines: { dir: pdir }, rerank: { admission: { maxQueueWaitMs: 300_000 } } }));
writeFileSync(join(tmp, 'ready'), srv.url);
console.log('serving', srv.url, 'tmp', tmp);
process.on('SIGTERM', () => void srv.close().then(() => process.exit(0)));
