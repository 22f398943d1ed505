/**
 * Held-out probe round 27b (shoppers' own photos as the query): a `vlrerank serve` of this worktree
 * on Elasticsearch 8.19 (port 19590), OCR on, a copy of the shipped grocery pipeline over
 * `p27b-grocery`, built through the proxy as the demo builds it (scripts/demo/indices.ts, vectors at
 * ingest). Runs until killed.
 *
 *   npx tsx scripts/probe/p27b-serve.ts
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server/start.js';
import { ensureDemoIndex } from '../demo/indices.js';
import { DATA, MODELS, REPO_ROOT } from '../../test/helpers/paths.js';

const UPSTREAM = process.env.P27B_UPSTREAM ?? 'http://127.0.0.1:19200';
const PORT = Number(process.env.P27B_PORT ?? 19590);
const tmp = process.env.P27B_TMP ?? mkdtempSync(join(tmpdir(), 'p27b-'));
const pdir = mkdtempSync(join(tmp, 'pipes-'));
writeFileSync(
  join(pdir, 'p27bg.yaml'),
  readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
    .replace(/^name: .*$/m, 'name: p27bg')
    .replace(/^index_patterns: .*$/m, 'index_patterns: [p27b-grocery]')
    .replace(/^budget_ms: .*$/m, 'budget_ms: 120000'),
);
// loopback media URLs allowed: the probe's own static host on 19591 serves the query photos by URL
const media = { roots: [DATA, tmp], allowHosts: ['127.0.0.1'] };
const rerank = { ocr: true, admission: { maxQueueWaitMs: 300_000 } };
const server = { host: '127.0.0.1', port: PORT, ui: false };
const srv = await startServer(parseConfig({ server, upstream: { urls: [UPSTREAM] }, log: { level: 'warn', access: false }, models: { dir: MODELS }, media, pipelines: { dir: pdir, bulkBudgetMs: 0 }, rerank }));
const rep = await ensureDemoIndex('grocery', { proxyUrl: srv.url, dataDir: DATA, prefix: 'p27b-', dialect: 'elasticsearch', pipelines: { grocery: srv.services.pipelines.get('p27bg')! } });
console.log(JSON.stringify(rep).slice(0, 300));
writeFileSync(join(tmp, 'ready'), srv.url);
console.log('serving', srv.url, 'tmp', tmp);
process.on('SIGTERM', () => void srv.close().then(() => process.exit(0)));
