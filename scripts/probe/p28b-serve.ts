/**
 * Held-out probe round 28b (documents of odd shapes): a `vlrerank serve` of this worktree (real
 * models) before one engine, the grocery pipeline copied twice — `p28b` over `p28b-r*` with
 * `features.store: index` (records at ingest) and `p28bn` over `p28b-n*` without records (read at
 * search time). Field names: text [title, tags], image [image].
 *
 *   P28B_UPSTREAM=http://127.0.0.1:19200 P28B_PORT=19650 npx tsx scripts/probe/p28b-serve.ts
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server/start.js';
import { groceryBase, writePipe } from './grocery-copy.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';

const UPSTREAM = process.env.P28B_UPSTREAM ?? 'http://127.0.0.1:19200';
const PORT = Number(process.env.P28B_PORT ?? 19650);
const tmp = process.env.P28B_TMP ?? mkdtempSync(join(tmpdir(), 'p28b-'));
const pdir = join(tmp, 'pipes');
mkdirSync(pdir, { recursive: true });
const base = groceryBase();
const pipe = (name: string, pattern: string, extra: string) => writePipe(pdir, base, name, pattern, extra);
pipe('p28b', 'p28b-r*', 'features: { store: index }');
pipe('p28bn', 'p28b-n*', 'features: { store: none }');
writeFileSync(join(pdir, 'p28bc.yaml'), `${base.replace(/^name: .*$/m, 'name: p28bc').replace(/^index_patterns: .*$/m, 'index_patterns: [p28b-c*]').replace(/^scorer:$/m, 'scorer:\n  chunking: true')}\nfeatures: { store: index }\n`);
// chunking, no records, the shipped 5 s budget: a long text computed inside the search
writeFileSync(join(pdir, 'p28bcn.yaml'), `${base.replace(/^name: .*$/m, 'name: p28bcn').replace(/^index_patterns: .*$/m, 'index_patterns: [p28b-d*]').replace(/^scorer:$/m, 'scorer:\n  chunking: true').replace(/^budget_ms: .*$/m, 'budget_ms: 5000')}\nfeatures: { store: none }\n`);
const config = { server: { host: '127.0.0.1', port: PORT, ui: false }, upstream: { urls: [UPSTREAM] }, log: { level: 'warn', access: false }, models: { dir: MODELS } };
const srv = await startServer(parseConfig({ ...config, media: { roots: [DATA, tmp] }, pipelines: { dir: pdir, bulkBudgetMs: 0 }, rerank: { admission: { maxQueueWaitMs: 300_000 } } }));
writeFileSync(join(tmp, 'ready'), srv.url);
console.log('serving', srv.url, 'tmp', tmp);
process.on('SIGTERM', () => void srv.close().then(() => process.exit(0)));
