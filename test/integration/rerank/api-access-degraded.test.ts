/**
 * The access line of a rerank API call says when its answer is degraded (held-out probe round 27c:
 * `rerank.degraded` was `false` for every API call, while the stage metrics counted a call whose
 * media the budget gave up as `degraded`; a team reconciling the access log with the metrics and
 * the answers' warnings could not). A real HTTP server started here plays a media host that never
 * answers; the real server, real models and a real photo do the rest. Outcomes only, no time asserted.
 */
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { closeLocal, silentHost } from '../../helpers/local-host.js';
import { rerankConfigFlags } from '../../helpers/rerank-server.js';
import { until } from '../../helpers/until.js';

const lines: string[] = [];
const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(...String(c).split('\n').filter(Boolean)), cb()) }));
type Access = { path: string; status: number; opaque_id?: string; rerank?: { degraded: string | false; documents: number; document_errors?: number } };
const accessLines = (): Access[] => lines.map((l) => JSON.parse(l) as { access?: Access }).flatMap((l) => (l.access ? [l.access] : []));
let host: Server;
let hostUrl: string;
let srv: RunningServer;

beforeAll(async () => {
  ({ server: host, url: hostUrl } = await silentHost());
  const config = loadConfig({ env: {}, flags: rerankConfigFlags({ 'log.level': 'info', 'log.access': true, 'media.allowHosts': ['127.0.0.1'], 'media.fetchTimeoutMs': 120_000 }) });
  srv = await startServer(config, { logger });
  // models loaded on first use count against a call's budget: load them first, within a long one
  const warm = await fetch(srv.url + '/v1/rerank', { method: 'POST', headers: { 'content-type': 'application/json', 'x-vlrerank-budget-ms': '120000' }, body: JSON.stringify({ query: 'warm up', documents: [{ text: 'a photo', image: 'coco-captions-mini/images/val2017/000000000139.jpg' }] }) });
  expect(warm.status).toBe(200);
}, 180_000);
afterAll(async () => {
  await srv?.close();
  await closeLocal(host);
});

async function call(path: string, id: string, body: unknown, budget: string): Promise<{ status: number; body: any; line: Access }> {
  const r = await fetch(srv.url + path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-opaque-id': id, 'x-vlrerank-budget-ms': budget }, body: JSON.stringify(body) });
  const answer = await r.json();
  await until(() => accessLines().some((a) => a.opaque_id === id), { tries: 300, everyMs: 100, what: `the access line of ${id}` });
  return { status: r.status, body: answer, line: accessLines().find((a) => a.opaque_id === id)! };
}

it('media given up at the budget’s cut-off: the line says degraded `timeout`; a photo that is not there is the data’s, not degraded', { timeout: 180_000 }, async () => {
  const cut = await call('/v1/rerank', 'p27c-cut', { query: 'fresh fruit', documents: [{ image: `${hostUrl}/slow.jpg` }, 'fresh fruit and vegetables'] }, '4000');
  expect(cut.status).toBe(200);
  expect(JSON.stringify(cut.body.meta.warnings)).toContain('VLR_MEDIA_TIMEOUT');
  expect(cut.line.rerank).toMatchObject({ degraded: 'timeout', documents: 2, document_errors: 1 });
  const own = await call('/_vlrerank/rerank', 'p27c-own', { query: { text: 'fresh fruit' }, documents: [{ image: `${hostUrl}/slow-2.jpg` }, { text: 'fresh fruit' }] }, '4000');
  expect(own.status).toBe(200);
  expect(own.line.rerank).toMatchObject({ degraded: 'timeout', document_errors: 1 });
  const missing = await call('/v1/rerank', 'p27c-missing', { query: 'fresh fruit', documents: [{ image: 'coco-captions-mini/images/val2017/not-there.jpg' }, 'fresh fruit and vegetables'] }, '60000');
  expect(missing.status).toBe(200);
  expect(missing.line.rerank).toMatchObject({ degraded: false, document_errors: 1 });
});
