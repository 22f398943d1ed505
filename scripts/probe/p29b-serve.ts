/**
 * Held-out probe round 29b (identifiers of every legal shape): a `vlrerank serve` of this worktree
 * (real models) before one engine, with the disk tier and a Redis of the round's own (L3); the
 * grocery pipeline copied twice — `p29b` over `p29b-r*` with records at ingest, `p29bn` over
 * `p29b-n*` without. Field names: text [title, tags], image [image].
 *
 *   P29B_UPSTREAM=http://127.0.0.1:19200 P29B_PORT=19680 P29B_REDIS=redis://127.0.0.1:19690/0 npx tsx scripts/probe/p29b-serve.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server/start.js';
import { groceryBase, writePipe } from './grocery-copy.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';

const UPSTREAM = process.env.P29B_UPSTREAM ?? 'http://127.0.0.1:19200';
const PORT = Number(process.env.P29B_PORT ?? 19680);
const tmp = process.env.P29B_TMP ?? '/tmp/p29b';
const pdir = join(tmp, 'pipes');
mkdirSync(pdir, { recursive: true });
const base = groceryBase();
const pipe = (name: string, pattern: string, extra: string) => writePipe(pdir, base, name, pattern, extra);
pipe('p29b', '"p29b-r*"', 'features: { store: index }');
pipe('p29bn', '"p29b-n*"', 'features: { store: none }');
const redis = process.env.P29B_REDIS;
const config = { server: { host: '127.0.0.1', port: PORT, ui: false }, upstream: { urls: [UPSTREAM] }, log: { level: process.env.P29B_LOG ?? 'warn', access: process.env.P29B_ACCESS === '1' }, models: { dir: MODELS } };
const srv = await startServer(parseConfig({ ...config, media: { roots: [DATA, tmp] }, store: { disk: { path: join(tmp, `disk-${PORT}`) }, ...(redis ? { redis: { url: redis } } : {}) }, pipelines: { dir: pdir, bulkBudgetMs: 0 }, rerank: { admission: { maxQueueWaitMs: 300_000 } } }));
writeFileSync(join(tmp, `ready-${PORT}`), srv.url);
console.log('serving', srv.url, 'tmp', tmp);
process.on('SIGTERM', () => void srv.close().then(() => process.exit(0)));
