/**
 * Held-out probe round 30b (pipeline files as operators write them): a `vlrerank serve` of this worktree
 * (real models) on Elasticsearch 8.19 over a pipelines folder of its own, `pipelines.watch` on.
 *
 *   P30B_PORT=19790 P30B_PIPES=/tmp/p30b/pipes npx tsx scripts/probe/p30b-serve.ts
 */
import { writeFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server/start.js';
import { MODELS } from '../../test/helpers/paths.js';

const PORT = Number(process.env.P30B_PORT ?? 19790);
const pdir = process.env.P30B_PIPES ?? '/tmp/p30b/pipes';
const config = {
  server: { host: '127.0.0.1', port: PORT, ui: false, adminToken: 'p30b-admin-token' },
  upstream: { urls: [process.env.P30B_UPSTREAM ?? 'http://127.0.0.1:19200'] },
  log: { level: 'info', access: false },
  models: { dir: MODELS },
  pipelines: { dir: pdir, watch: true, watchIntervalMs: 1000 },
};
const srv = await startServer(parseConfig(config));
writeFileSync(`${pdir}/../ready-${PORT}`, srv.url);
console.log('serving', srv.url);
process.on('SIGTERM', () => void srv.close().then(() => process.exit(0)));
