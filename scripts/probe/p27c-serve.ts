/**
 * Held-out probe round 27c (usage a SaaS bills its customers on): a `vlrerank serve` of this
 * worktree (port 19600, real models, access log on stdout, its own L2 folder in a temp dir,
 * `maxConcurrentRequests: 2`, `admission.maxQueued: 2` for 429s). Runs until killed.
 *
 *   P27C_TMP=/tmp/p27c npx tsx scripts/probe/p27c-serve.ts > /tmp/p27c/serve.log
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server/start.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';

const PORT = Number(process.env.P27C_PORT ?? 19600);
const tmp = process.env.P27C_TMP ?? mkdtempSync(join(tmpdir(), 'p27c-'));
const pdir = join(tmp, `pipes-${PORT}`);
mkdirSync(pdir, { recursive: true });
const srv = await startServer(
  parseConfig({
    server: { host: '127.0.0.1', port: PORT, ui: false },
    upstream: { urls: [process.env.P27C_UPSTREAM ?? 'http://127.0.0.1:19200'] },
    log: { level: 'info', access: true },
    models: { dir: MODELS },
    media: { roots: [DATA, tmp] },
    store: { disk: { path: join(tmp, `features-${PORT}`) } },
    pipelines: { dir: pdir },
    rerank: { maxConcurrentRequests: 2, admission: { maxQueued: 2, maxQueueWaitMs: 300_000 } },
  }),
);
writeFileSync(join(tmp, `ready-${PORT}`), srv.url);
console.error('serving', srv.url, 'tmp', tmp);
process.on('SIGTERM', () => void srv.close().then(() => process.exit(0)));
